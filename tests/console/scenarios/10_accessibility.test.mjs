// Scenario 10: axe-core on every page (and the confirmation dialog, in English and in French,
// on a laptop and on a phone): no serious or critical violation. A screenshot of each page is
// kept under the build tree.
import assert from 'node:assert/strict';
import { useConsole } from '../lib/scenario.mjs';
import { seriousViolations, allViolations } from '../lib/axe.mjs';
import { invoiceInput } from '../lib/host.mjs';
import { waitFor } from '../lib/wait.mjs';

const ctx = useConsole('10_accessibility');
const minor = {};

async function check(session, name) {
  await session.loaded();
  await session.screenshot('10-' + name);
  const serious = await seriousViolations(session.page);
  minor[name] = await allViolations(session.page);
  assert.deepEqual(serious, [], `axe on ${name}`);
}

ctx.step('some work to show: jobs of every outcome, a test, a problem', async ({ host }) => {
  await host.api('POST', '/api/v1/jobs', { body: { connector: 'chorus', action: 'submit_invoice', input: invoiceInput('FA-2026-1010') }, expect: 202 });
  await host.api('POST', '/api/v1/jobs', { body: { connector: 'diagnostics', action: 'fail', input: { class: 'permanent', message: 'failed on purpose' } }, expect: 202 });
  await host.api('POST', '/api/v1/jobs', { body: { connector: 'diagnostics', action: 'echo', input: { hello: 'relais' } }, expect: 202 });
  await host.api('POST', '/api/v1/connectors/chorus/test', { expect: 200 });
  await waitFor(async () => {
    const { json } = await host.api('GET', '/api/v1/jobs?state=succeeded', { expect: 200 });
    return json.jobs.length >= 2;
  }, { timeout: 30000, what: 'two jobs to succeed' });
});

ctx.step('sign-in page', async ({ session, page }) => {
  await session.goto('/console/');
  await page.getByLabel('API token').waitFor();
  await check(session, 'sign-in');
});

ctx.step('connectors overview', async ({ session }) => {
  await session.signIn();
  await check(session, 'overview');
});

ctx.step('connector settings with a test result and a problem beside its field', async ({ session, page }) => {
  await session.show('#/connectors/chorus', 'chorus');
  await page.locator('.test-result .test').waitFor();
  await page.getByLabel(/^Retry attempts/).fill('many');
  await page.getByRole('button', { name: 'Check' }).click();
  await page.locator('.field[data-path="/retry_attempts"] .problem').waitFor({ state: 'visible' });
  await check(session, 'connector-chorus');
  await session.show('#/connectors/diagnostics', 'diagnostics');
  await check(session, 'connector-diagnostics');
});

ctx.step('jobs, filtered, and the bulk confirmation', async ({ session, page }) => {
  await session.show('#/jobs', 'Jobs');
  await page.locator('tbody tr[data-job]').first().waitFor();
  await check(session, 'jobs');
  await page.getByLabel('State', { exact: true }).selectOption('dead');
  await page.locator('tbody tr[data-state="dead"]').first().waitFor();
  await page.getByRole('button', { name: 'Retry all matching' }).click();
  await page.getByRole('dialog', { name: /Retry 1 job\?/ }).waitFor();
  await check(session, 'jobs-bulk-dialog');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
});

ctx.step('job details: a result, an error', async ({ session, host }) => {
  const { json } = await host.api('GET', '/api/v1/jobs', { expect: 200 });
  for (const j of json.jobs) {
    await session.show('#/jobs/' + j.id, `Job ${j.id}`);
    await check(session, `job-${j.id}-${j.state}`);
  }
});

ctx.step('periodic tasks, logs, metrics', async ({ session }) => {
  await session.show('#/tasks', 'Periodic tasks');
  await check(session, 'tasks');
  await session.show('#/logs', 'Logs');
  await check(session, 'logs');
  await session.show('#/metrics', 'Metrics');
  await session.page.locator('.chart').waitFor();
  await check(session, 'metrics');
});

ctx.step('in French', async ({ session, page }) => {
  await page.getByLabel('Language').selectOption('fr');
  await session.show('#/', 'Connecteurs');
  await check(session, 'fr-overview');
  await session.show('#/connectors/chorus', 'chorus');
  await page.getByRole('button', { name: 'Enregistrer' }).waitFor();
  await check(session, 'fr-connector-chorus');
  await session.show('#/jobs', 'Tâches');
  await check(session, 'fr-jobs');
  await page.getByLabel('Langue').selectOption('en');
});

ctx.step('on a phone', async ({ session, page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await session.show('#/', 'Connectors');
  await check(session, 'phone-overview');
  await session.show('#/jobs', 'Jobs');
  await check(session, 'phone-jobs');
  // Nothing wider than the screen but the tables, which scroll in their own box.
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 390, `the page is ${wide} px wide`);
  console.log('axe, every impact:', JSON.stringify(minor));
});
