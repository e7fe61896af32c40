// Scenario 5: a setting of the wrong type, and one out of its bounds, are refused beside their
// fields by the host's validation before anything is saved; nothing was saved.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useConsole } from '../lib/scenario.mjs';

const ctx = useConsole('05_wrong_type');
let before;
const saved = () => {
  const file = join(ctx.host.dir, 'data', 'connectors', 'chorus.json');
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
};

ctx.step('a word typed for an integer is shown beside its field, and nothing is saved', async ({ host, session, page }) => {
  before = { api: (await host.api('GET', '/api/v1/connectors/chorus', { expect: 200 })).json.settings, file: saved() };
  const puts = [];
  page.on('request', (r) => { if (r.method() === 'PUT') puts.push(new URL(r.url()).pathname); });
  await session.signIn();
  await session.show('#/connectors/chorus', 'chorus');
  const field = page.locator('.field[data-path="/retry_attempts"]');
  await page.getByLabel(/^Retry attempts/).fill('three');
  await page.getByRole('button', { name: 'Save' }).click();
  const problem = field.locator('.problem');
  await problem.waitFor({ state: 'visible' });
  assert.match(await problem.textContent(), /expected integer, found string "three"/);
  assert.equal(await page.getByLabel(/^Retry attempts/).getAttribute('aria-invalid'), 'true');
  // The problem is tied to the input for screen readers, and the input has the focus.
  const described = await page.getByLabel(/^Retry attempts/).getAttribute('aria-describedby');
  assert.ok(described.split(' ').includes(await problem.getAttribute('id')));
  assert.equal(await page.evaluate(() => document.activeElement.closest('.field').dataset.path), '/retry_attempts');
  await session.textMatching(page.locator('#settings-status'), /1 problem.*Nothing was saved/);
  assert.deepEqual(puts, ['/api/v1/connectors/chorus/config/validate'], 'only the check was sent, not the save');
  await session.screenshot('05-wrong-type-refused');
});

ctx.step('a number out of its bounds too, beside its own field', async ({ session, page }) => {
  await page.getByLabel(/^Max concurrency/).fill('1000');
  await page.getByRole('button', { name: 'Save' }).click();
  await session.textMatching(page.locator('#settings-status'), /2 problems/);
  const problem = page.locator('.field[data-path="/max_concurrency"] .problem');
  assert.match(await problem.textContent(), /1000/);
  assert.match(await page.locator('.field[data-path="/retry_attempts"] .problem').textContent(), /expected integer/);
  // Every other field shows no problem.
  assert.equal(await page.locator('.field.invalid').count(), 2);
});

ctx.step('the host kept the settings it had', async ({ host }) => {
  const after = (await host.api('GET', '/api/v1/connectors/chorus', { expect: 200 })).json.settings;
  assert.deepEqual(after, before.api);
  assert.equal(saved(), before.file);
});

ctx.step('once corrected, the problems go and the save goes through', async ({ host, session, page }) => {
  await page.getByLabel(/^Retry attempts/).fill('5');
  await page.getByLabel(/^Max concurrency/).fill('8');
  await page.getByRole('button', { name: 'Save' }).click();
  await session.textMatching(page.locator('#settings-status'), /Saved and applied/);
  assert.equal(await page.locator('.field.invalid').count(), 0);
  const after = (await host.api('GET', '/api/v1/connectors/chorus', { expect: 200 })).json.settings;
  assert.equal(after.retry_attempts, 5);
  assert.equal(after.max_concurrency, 8);
  assert.equal(after.client_secret, '[redacted]');
  // The untouched secrets were kept: the connection still works.
  const { json: test } = await host.api('POST', '/api/v1/connectors/chorus/test', { expect: 200 });
  assert.equal(test.verdict, 'passed', JSON.stringify(test));
});
