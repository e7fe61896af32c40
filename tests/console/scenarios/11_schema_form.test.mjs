// The settings form generator on a schema no plugin ships yet: the x-order, x-group and
// x-multiline hints, a nested object, an array of objects, an enum, a secret; and what the
// form sends back. Built in the signed-in page from the console's own module.
import assert from 'node:assert/strict';
import { useConsole } from '../lib/scenario.mjs';

const ctx = useConsole('11_schema_form');

const schema = {
  type: 'object',
  required: ['url'],
  properties: {
    notes: { type: 'string', 'x-multiline': true, 'x-order': 5, description: 'Free text' },
    url: { type: 'string', format: 'uri', 'x-order': 1, 'x-group': 'Connection', description: "The endpoint (seed: 'Adresse d'accès')" },
    password: { type: 'string', secret: true, 'x-order': 2, 'x-group': 'Connection' },
    token: { type: 'string', secret: true, 'x-order': 3, 'x-group': 'Connection' },
    mode: { enum: ['fast', 'safe'], default: 'safe', 'x-order': 4 },
    retry: {
      type: 'object', 'x-order': 6,
      properties: { attempts: { type: 'integer', minimum: 0, maximum: 9, default: 3 }, exponential: { type: 'boolean' } },
    },
    mailboxes: {
      type: 'array', 'x-order': 7,
      items: { type: 'object', properties: { address: { type: 'string' }, weight: { type: 'number' } } },
    },
    extra: { type: ['string', 'integer'] },
  },
};
const settings = {
  url: 'https://example.test', password: '[redacted]', mode: 'fast', notes: 'line 1\nline 2',
  retry: { attempts: 4, exponential: true }, mailboxes: [{ address: 'a@example.test', weight: 1 }], kept: 'unknown key',
};

ctx.step('the hints order and group the fields; every kind has its control', async ({ session, page }) => {
  await session.signIn();
  await page.evaluate(async ({ schema, settings }) => {
    const { settingsForm } = await import('/console/js/schema_form.js');
    const form = settingsForm(schema, settings);
    window.testForm = form;
    const main = document.getElementById('main');
    main.replaceChildren(Object.assign(document.createElement('h1'), { textContent: 'Form' }), form.element);
  }, { schema, settings });
  const order = await page.evaluate(() => [...document.querySelectorAll('#main [data-path]')].map((e) => e.dataset.path));
  assert.deepEqual(order.filter((p) => p.split('/').length === 2),
    ['/url', '/password', '/token', '/mode', '/notes', '/retry', '/mailboxes', '/extra']);
  const group = page.getByRole('group', { name: 'Connection' });
  assert.equal(await group.locator('[data-path]').count(), 3);
  assert.equal(await page.getByLabel(/^Notes/).evaluate((e) => e.tagName), 'TEXTAREA');
  assert.equal(await page.getByLabel(/^Mode/).evaluate((e) => e.tagName), 'SELECT');
  assert.match(await page.locator('[data-path="/url"] .help').textContent(), /Field in the manual: « Adresse d'accès »/);
  assert.match(await page.locator('[data-path="/password"] .secret-state').textContent(), /^set$/);
  assert.match(await page.locator('[data-path="/token"] .secret-state').textContent(), /^not set$/);
  assert.equal(await page.getByLabel(/^Attempts/).inputValue(), '4');
  assert.match(await page.locator('[data-path="/retry/attempts"] .help').textContent(), /from 0 to 9.*Default: 3/);
  assert.ok(await page.getByLabel(/^Exponential/).isChecked());
  assert.equal(await page.getByLabel(/^Address/).inputValue(), 'a@example.test');
  await session.screenshot('11-schema-form');
});

ctx.step('it sends back what was typed, secrets kept unless replaced, unknown keys kept', async ({ page }) => {
  const untouched = await page.evaluate(() => window.testForm.read());
  assert.deepEqual(untouched, { ...settings, password: '[redacted]' });
  await page.getByLabel(/^Token/).fill('new-token');
  await page.getByLabel(/^Attempts/).fill('x');
  await page.getByRole('button', { name: /^Add\s+Mailboxes/ }).click();
  await page.getByLabel(/^Address/).nth(1).fill('b@example.test');
  await page.getByLabel(/^Weight/).nth(1).fill('2,5');
  await page.getByLabel(/^Extra/).fill('7');
  const read = await page.evaluate(() => window.testForm.read());
  assert.equal(read.token, 'new-token');
  assert.equal(read.password, '[redacted]');
  assert.equal(read.retry.attempts, 'x', 'not a number: sent as typed for the host to refuse');
  assert.deepEqual(read.mailboxes, [{ address: 'a@example.test', weight: 1 }, { address: 'b@example.test', weight: 2.5 }]);
  assert.equal(read.extra, 7);
  assert.equal(read.kept, 'unknown key');
  await page.getByRole('button', { name: /^Remove\s+Mailboxes, item 1/ }).click();
  assert.deepEqual((await page.evaluate(() => window.testForm.read())).mailboxes, [{ address: 'b@example.test', weight: 2.5 }]);
});

ctx.step('problems land beside their fields, nested ones too', async ({ page }) => {
  const loose = await page.evaluate(() => window.testForm.showProblems([
    { field: 'retry.attempts', path: '/retry/attempts', message: 'expected integer' },
    { field: 'mailboxes.0.weight', path: '/mailboxes/0/weight', message: 'expected number' },
    { field: '', path: '', message: 'one of url or token' },
  ]).loose);
  assert.deepEqual(loose, ['one of url or token']);
  assert.match(await page.locator('[data-path="/retry/attempts"] > .problem').textContent(), /expected integer/);
  assert.match(await page.locator('[data-path="/mailboxes/0/weight"] > .problem').textContent(), /expected number/);
  assert.equal(await page.getByLabel(/^Attempts/).getAttribute('aria-invalid'), 'true');
});
