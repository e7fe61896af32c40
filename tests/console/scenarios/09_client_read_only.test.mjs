// Scenario 9: a client token signs in to a read-only console: no save, no test, no bulk
// action, and the host refuses a save forced through the API with 403.
import assert from 'node:assert/strict';
import { useConsole } from '../lib/scenario.mjs';

const ctx = useConsole('09_client_read_only');

ctx.step('the client token gets a read-only view', async ({ host, session, page }) => {
  await session.signIn(host.clientToken);
  await page.getByText('read only', { exact: true }).waitFor();
  await session.show('#/connectors/diagnostics', 'diagnostics');
  await page.getByText('Read only: this token cannot change settings.').waitFor();
  const save = page.getByRole('button', { name: /save/i });
  assert.ok((await save.count()) === 0 || (await save.first().isDisabled()), 'no usable Save button');
  const test = page.getByRole('button', { name: /^test/i });
  assert.ok((await test.count()) === 0 || (await test.first().isDisabled()), 'no usable Test button');
  await session.screenshot('09-read-only-connector');
  await session.show('#/jobs', 'Jobs');
  assert.equal(await page.getByRole('button', { name: 'Retry all matching' }).count(), 0);
});

ctx.step('a save forced with the client token is refused, and nothing changed', async ({ host, page }) => {
  const status = await page.evaluate(async (token) => {
    const r = await fetch('/api/v1/connectors/diagnostics/config', {
      method: 'PUT',
      headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ greeting: 'hijacked' }),
    });
    return r.status;
  }, host.clientToken);
  assert.equal(status, 403);
  const { json } = await host.api('GET', '/api/v1/connectors/diagnostics', { expect: 200 });
  assert.equal(json.settings.greeting, 'bonjour');
});
