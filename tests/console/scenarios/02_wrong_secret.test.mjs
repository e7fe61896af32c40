// Scenario 2: Chorus Pro configured with a wrong client secret through the settings form; the
// Test button shows the OAuth step failing with the token endpoint's refusal.
import assert from 'node:assert/strict';
import { useConsole } from '../lib/scenario.mjs';

const ctx = useConsole('02_wrong_secret');

ctx.step('a wrong client secret is typed and saved', async ({ host, session, page }) => {
  await session.signIn();
  await session.show('#/connectors/chorus', 'chorus');
  const secret = page.getByLabel(/^Client secret/);
  await secret.waitFor();
  assert.equal(await secret.inputValue(), '', 'a secret is never shown');
  assert.match(await page.locator('.field[data-path="/client_secret"] .secret-state').textContent(), /^set$/);
  await secret.fill('a-wrong-piste-secret');
  await page.getByRole('button', { name: 'Save' }).click();
  await session.textMatching(page.locator('#settings-status'), /Saved and applied/);
  assert.equal(await page.getByLabel(/^Client secret/).inputValue(), '', 'the typed secret is gone from the form');
  // The host has the new secret: its refusal below proves it; the API still redacts it.
  const { json } = await host.api('GET', '/api/v1/connectors/chorus', { expect: 200 });
  assert.equal(json.settings.client_secret, '[redacted]');
});

ctx.step('Test shows the OAuth step failing with its message', async ({ session, page }) => {
  await page.getByRole('button', { name: 'Test', exact: true }).click();
  const result = page.locator('.test-result .test[data-verdict="failed"]');
  await result.waitFor();
  assert.match(await result.locator('.verdict').textContent(), /failed/);
  const oauth = result.locator('.step[data-step="oauth_token"]');
  assert.ok(await oauth.evaluate((el) => el.classList.contains('failed')));
  assert.match(await oauth.textContent(), /failed: oauth_token/);
  assert.match(await oauth.locator('.step-message').textContent(), /refused the client credentials.*HTTP 401/);
  // The steps before it passed; none after it ran.
  assert.ok(await result.locator('.step[data-step="configuration"]').evaluate((el) => el.classList.contains('ok')));
  assert.equal(await result.locator('.step[data-step="health_check"]').count(), 0);
  assert.ok(!(await page.content()).includes('a-wrong-piste-secret'));
  await session.screenshot('02-test-oauth-failed');
});
