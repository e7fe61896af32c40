// Scenario 9: a client token gets a read-only console: no Save, no Test, no bulk or row actions,
// no "run now"; and a request forced from the page with that token is refused with 403.
import assert from 'node:assert/strict';
import { useConsole } from '../lib/scenario.mjs';

const ctx = useConsole('09_client_read_only');

ctx.step('signed in with a client token, the page says read only', async ({ host, session, page }) => {
  await host.api('POST', '/api/v1/jobs', { body: { connector: 'diagnostics', action: 'fail', input: { class: 'permanent' } }, expect: 202 });
  await session.signIn(host.clientToken);
  assert.match(await page.locator('.session').textContent(), /Signed in as erp\s*read only/);
});

ctx.step('the settings form cannot be saved nor the connector tested', async ({ session, page }) => {
  await session.show('#/connectors/chorus', 'chorus');
  await page.getByLabel(/^Client ID/).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0);
  assert.ok(await page.getByLabel(/^Client ID/).isDisabled());
  assert.ok(await page.getByLabel(/^Client secret/).isDisabled());
  assert.ok(await page.getByRole('button', { name: 'Test', exact: true }).isDisabled());
  assert.match(await page.locator('.notice').first().textContent(), /Read only/);
  await session.screenshot('09-read-only-settings');
});

ctx.step('nor jobs retried, nor tasks run', async ({ session, page }) => {
  await session.show('#/jobs?state=dead', 'Jobs');
  await page.locator('tbody tr[data-state="dead"]').first().waitFor();
  assert.equal(await page.getByRole('button', { name: /Retry/ }).count(), 0);
  assert.equal(await page.getByRole('button', { name: /Cancel/ }).count(), 0);
  await session.show('#/tasks', 'Periodic tasks');
  await page.locator('tr[data-task="chorus/follow_invoice_statuses"]').waitFor();
  assert.equal(await page.getByRole('button', { name: /Run/ }).count(), 0);
});

ctx.step('a forced save, test or bulk retry from the page gets 403, and nothing changed', async ({ host, page }) => {
  const before = (await host.api('GET', '/api/v1/connectors/chorus', { expect: 200 })).json.settings;
  const statuses = await page.evaluate(async () => {
    const headers = { Authorization: 'Bearer ' + sessionStorage.getItem('relais.token'), 'Content-Type': 'application/json' };
    const settings = (await (await fetch('/api/v1/connectors/chorus', { headers })).json()).settings;
    const call = async (method, path, body) => (await fetch(path, { method, headers, body: JSON.stringify(body) })).status;
    return {
      save: await call('PUT', '/api/v1/connectors/chorus/config', { ...settings, retry_attempts: 7 }),
      test: await call('POST', '/api/v1/connectors/chorus/test', {}),
      bulk: await call('POST', '/api/v1/jobs/bulk', { operation: 'retry', filter: { state: 'dead' }, expected_count: 1 }),
      run: await call('POST', '/api/v1/connectors/chorus/tasks/follow_invoice_statuses/run', {}),
    };
  });
  assert.deepEqual(statuses, { save: 403, test: 403, bulk: 403, run: 403 });
  const after = (await host.api('GET', '/api/v1/connectors/chorus', { expect: 200 })).json.settings;
  assert.deepEqual(after, before);
});
