// Scenario 8: the live log tail, filtered by connector, shows a new line within 2 s of it
// being written; the level and text filters narrow it.
import assert from 'node:assert/strict';
import { useConsole } from '../lib/scenario.mjs';

const ctx = useConsole('08_log_tail');

ctx.step('a reconfigure appears in the tail of its connector within 2 s', async ({ host, session, page }) => {
  await session.signIn();
  await session.show('#/logs?connector=diagnostics', 'Logs');
  await page.locator('.live-state[data-state="logs.live"]').waitFor();
  const before = await page.locator('.log .line').count();
  // The configure at start-up is already there; other connectors' lines are not.
  assert.ok(before >= 1);
  for (const text of await page.locator('.log .line .connector').allTextContents()) assert.equal(text, 'diagnostics');

  const greeting = 'hello-' + Date.now();
  const { json } = await host.api('GET', '/api/v1/connectors/diagnostics', { expect: 200 });
  const started = Date.now();
  await host.api('PUT', '/api/v1/connectors/diagnostics/config', { body: { ...json.settings, greeting }, expect: 200 });
  await page.locator('.log .line').nth(before).waitFor({ timeout: 2000 });
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 2000, `shown after ${elapsed} ms`);
  assert.match(await page.locator('.log .line').last().textContent(), /diagnostics\s+configured/);
  await session.screenshot('08-log-tail');
});

ctx.step('the text filter keeps only the lines containing it, live', async ({ host, page }) => {
  await page.getByLabel('Connector', { exact: true }).selectOption('');
  await page.getByLabel('Containing').fill('reconfigured');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('.live-state[data-state="logs.live"]').waitFor();
  await page.locator('.log .line').first().waitFor();
  const count = await page.locator('.log .line').count();
  for (const text of await page.locator('.log .line .message').allTextContents()) assert.match(text, /reconfigured/);
  assert.match(page.url(), /q=reconfigured/);
  const { json } = await host.api('GET', '/api/v1/connectors/diagnostics', { expect: 200 });
  await host.api('PUT', '/api/v1/connectors/diagnostics/config', { body: { ...json.settings, greeting: 'again' }, expect: 200 });
  await page.locator('.log .line').nth(count).waitFor({ timeout: 2000 });
  assert.match(await page.locator('.log .line').last().textContent(), /connector diagnostics reconfigured/);
});

ctx.step('the level filter keeps warnings and above, live', async ({ host, page }) => {
  await page.getByLabel('Containing').fill('');
  await page.getByLabel('Level at least').selectOption('warning');
  await page.locator('.live-state[data-state="logs.live"]').waitFor();
  const before = await page.locator('.log .line').count();
  // A job that dies is logged as a warning; the reconfigure (information) is not shown.
  const { json } = await host.api('GET', '/api/v1/connectors/diagnostics', { expect: 200 });
  await host.api('PUT', '/api/v1/connectors/diagnostics/config', { body: { ...json.settings, greeting: 'once more' }, expect: 200 });
  const { json: job } = await host.api('POST', '/api/v1/jobs', { body: { connector: 'diagnostics', action: 'fail', input: { class: 'permanent' } }, expect: 202 });
  await page.locator('.log .line').nth(before).waitFor({ timeout: 5000 });
  assert.match(await page.locator('.log .line').last().textContent(), new RegExp(`job ${job.id} .*dead`));
  for (const text of await page.locator('.log .line .level').allTextContents()) assert.match(text, /warning|error|critical|fatal/);
});
