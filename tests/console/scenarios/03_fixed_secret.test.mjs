// Scenario 3: from a wrong client secret (set through the API), the right one typed in the form
// and saved; Test passes, every step with it.
import assert from 'node:assert/strict';
import { useConsole } from '../lib/scenario.mjs';
import { chorus } from '../lib/host.mjs';

const ctx = useConsole('03_fixed_secret');

ctx.step('the connector starts with a wrong secret', async ({ host }) => {
  const { json } = await host.api('GET', '/api/v1/connectors/chorus', { expect: 200 });
  await host.api('PUT', '/api/v1/connectors/chorus/config', { body: { ...json.settings, client_secret: 'a-wrong-piste-secret' }, expect: 200 });
  const { json: test } = await host.api('POST', '/api/v1/connectors/chorus/test', { expect: 200 });
  assert.equal(test.verdict, 'failed');
  assert.equal(test.failed_step, 'oauth_token');
});

ctx.step('the last Test shows failed; the right secret is typed and saved', async ({ session, page }) => {
  await session.signIn();
  await session.show('#/connectors/chorus', 'chorus');
  await page.locator('.test-result .test[data-verdict="failed"]').waitFor();
  await page.getByLabel(/^Client secret/).fill(chorus.clientSecret);
  await page.getByRole('button', { name: 'Save' }).click();
  await session.textMatching(page.locator('#settings-status'), /Saved and applied/);
});

ctx.step('Test passes, every step with it', async ({ session, page }) => {
  await page.getByRole('button', { name: 'Test', exact: true }).click();
  const result = page.locator('.test-result .test[data-verdict="passed"]');
  await result.waitFor();
  const steps = result.locator('.step');
  assert.ok(await steps.count() >= 3);
  assert.equal(await result.locator('.step.failed').count(), 0);
  assert.match(await result.locator('.step[data-step="oauth_token"] .step-message').textContent(), /issued a token/);
  assert.match(await result.locator('.step[data-step="structure"] .step-message').textContent(), /12345678200010/);
  await session.screenshot('03-test-passed');
  // The overview shows the verdict too.
  await session.show('#/', 'Connectors');
  await session.textMatching(page.locator('[data-connector="chorus"]'), /Last test\s*passed/);
});
