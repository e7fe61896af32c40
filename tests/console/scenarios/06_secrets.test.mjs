// Scenario 6: secrets never reach the page: not in its DOM (markup or input values) on any page,
// not in any response the browser received, not even after an administrator typed new ones.
import assert from 'node:assert/strict';
import { useConsole } from '../lib/scenario.mjs';
import { chorus } from '../lib/host.mjs';

const ctx = useConsole('06_secrets');
const typedSecret = 'diagnostics-secret-typed-in-the-form';
const PAGES = [
  ['#/', 'Connectors'],
  ['#/connectors/chorus', 'chorus'],
  ['#/connectors/diagnostics', 'diagnostics'],
  ['#/jobs', 'Jobs'],
  ['#/tasks', 'Periodic tasks'],
  ['#/logs', 'Logs'],
  ['#/metrics', 'Metrics'],
];
const doms = [];

async function collectDom(page, where) {
  const markup = await page.content();
  const values = await page.evaluate(() => [...document.querySelectorAll('input, textarea, select')].map((i) => i.value).join('\n'));
  doms.push({ where, text: markup + '\n' + values });
}

ctx.step('secrets typed in the forms are saved, then gone from them', async ({ session, page }) => {
  await session.signIn();
  await session.show('#/connectors/diagnostics', 'diagnostics');
  await page.getByLabel(/^Secret token/).fill(typedSecret);
  await page.getByRole('button', { name: 'Save' }).click();
  await session.textMatching(page.locator('#settings-status'), /Saved and applied/);
  assert.match(await page.locator('.field[data-path="/secret_token"] .secret-state').textContent(), /^set$/);
  await collectDom(page, 'diagnostics after save');

  await session.show('#/connectors/chorus', 'chorus');
  await page.getByLabel(/^Client secret/).fill(chorus.clientSecret);
  await page.getByLabel(/^Technical password/).fill(chorus.technicalPassword);
  await page.getByRole('button', { name: 'Save' }).click();
  await session.textMatching(page.locator('#settings-status'), /Saved and applied/);
  await page.getByRole('button', { name: 'Test', exact: true }).click();
  await page.locator('.test-result .test[data-verdict="passed"]').waitFor();
  await collectDom(page, 'chorus after save and test');
});

ctx.step('every page, once loaded, holds no secret', async ({ session, page, host }) => {
  // A job with a result and a log line from the reconfigured connector, for those pages.
  await host.api('POST', '/api/v1/jobs', { body: { connector: 'diagnostics', action: 'echo', input: { hello: 'relais' } }, expect: 202 });
  for (const [hash, heading] of PAGES) {
    await session.show(hash, heading);
    await session.loaded();
    await collectDom(page, hash);
  }
  await session.show('#/jobs/1', 'Job 1');
  await page.getByRole('region', { name: 'Result' }).waitFor();
  await collectDom(page, 'job 1');
});

ctx.step('no secret in any DOM or any response body', async ({ session, host }) => {
  const secrets = [chorus.clientSecret, chorus.technicalPassword, typedSecret, host.adminToken, host.clientToken];
  assert.ok(session.responses.length > 20, 'responses were collected: ' + session.responses.length);
  for (const { where, text } of doms) {
    for (const s of secrets) assert.ok(!text.includes(s), `the DOM of ${where} holds a secret`);
  }
  for (const r of session.responses) {
    for (const s of secrets) assert.ok(!r.body.includes(s), `the response of ${r.url} holds a secret`);
  }
  // The API did say they are set.
  const settings = session.responses.filter((r) => r.url.endsWith('/api/v1/connectors/chorus') && r.body).map((r) => JSON.parse(r.body).settings);
  assert.ok(settings.length > 0);
  for (const s of settings) assert.equal(s.client_secret, '[redacted]');
});
