// Scenario 4: an invoice submitted through the API (POST /api/v1/jobs, chorus submit_invoice);
// the jobs page follows its job to its final state, and its detail shows the attempts and the
// result Chorus Pro gave.
import assert from 'node:assert/strict';
import { useConsole } from '../lib/scenario.mjs';
import { invoiceInput } from '../lib/host.mjs';
import { waitFor } from '../lib/wait.mjs';

const ctx = useConsole('04_invoice_job');
let job;

ctx.step('the ERP submits an invoice as a job', async ({ host }) => {
  const { json } = await host.api('POST', '/api/v1/jobs', {
    token: host.clientToken,
    body: { connector: 'chorus', action: 'submit_invoice', input: invoiceInput('FA-2026-0404'), idempotency_key: 'invoice-FA-2026-0404' },
    expect: 202,
  });
  job = json;
  assert.equal(job.connector, 'chorus');
});

ctx.step('the jobs page shows it, then its final state, with no reload', async ({ session, page }) => {
  await session.signIn();
  await session.show('#/jobs?connector=chorus', 'Jobs');
  const row = page.locator(`tr[data-job="${job.id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /submit_invoice/);
  assert.match(await row.textContent(), /invoice-FA-2026-0404/);
  // Auto-refresh: the row changes state by itself until the job is final.
  await page.locator(`tr[data-job="${job.id}"][data-state="succeeded"]`).waitFor({ timeout: 30000 });
  assert.match(await page.locator('.age').textContent(), /updated \d+ s ago/);
  await session.screenshot('04-jobs-invoice-succeeded');
});

ctx.step('its detail shows the attempts and Chorus Pro\'s result', async ({ host, session, page }) => {
  await page.getByRole('link', { name: '#' + job.id, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: `Job ${job.id}` }).waitFor();
  await page.locator('.job-state[data-state="succeeded"]').waitFor();
  const result = page.getByRole('region', { name: 'Result' });
  await result.waitFor();
  assert.match(await result.textContent(), /"state": "integrated"/);
  assert.match(await result.textContent(), /FA-2026-0404/);
  const { json } = await host.api('GET', `/api/v1/jobs/${job.id}`, { expect: 200 });
  const rows = page.getByRole('region', { name: 'Attempts' }).locator('tbody tr');
  assert.equal(await rows.count(), json.attempt_history.length);
  assert.ok(json.attempt_history.length >= 2, 'the job waited for Chorus Pro at least once');
  await session.screenshot('04-job-detail');
});

ctx.step('the filters by idempotency key and time range find it, or nothing', async ({ host, session, page }) => {
  await host.api('POST', '/api/v1/jobs', { body: { connector: 'diagnostics', action: 'echo', input: {} }, expect: 202 });
  await session.show('#/jobs', 'Jobs');
  await waitFor(async () => (await page.locator('tbody tr[data-job]').count()) === 2, { what: 'both jobs' });
  await page.getByLabel('Idempotency key').fill('invoice-FA-2026-0404');
  await page.getByRole('button', { name: 'Apply' }).click();
  await waitFor(async () => (await page.locator('tbody tr[data-job]').count()) === 1, { what: 'the invoice job alone' });
  await page.locator(`tr[data-job="${job.id}"]`).waitFor();
  assert.match(page.url(), /idempotency_key=invoice-FA-2026-0404/);
  // Created before a day ago: none.
  const past = new Date(Date.now() - 86400000);
  const local = new Date(past.getTime() - past.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
  await page.getByLabel('Created before').fill(local);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('No job matches the filter.').first().waitFor();
  await page.getByLabel('Created before').fill('');
  await page.getByLabel('Created from').fill(local);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator(`tr[data-job="${job.id}"]`).waitFor();
});

ctx.step('the refresh pauses while the tab is hidden, says so, and starts again when shown', async ({ page }) => {
  const calls = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/v1/jobs') calls.push(Date.now()); });
  const hide = (hidden) => page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { value: h, configurable: true });
    Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
  await waitFor(() => calls.length > 0, { what: 'a refresh' });
  await hide(true);
  await page.getByText(/auto-refresh paused/).waitFor();
  const hiddenAt = Date.now();
  const before = calls.length;
  // Long enough for two refreshes at the visible pace: the age says so, and none came.
  await page.getByText(/updated [5-9] s ago/).waitFor({ timeout: 15000 });
  assert.ok(calls.filter((t) => t > hiddenAt + 500).length === 0, `no refresh while hidden (${calls.length - before})`);
  await hide(false);
  await waitFor(() => calls.some((t) => t > hiddenAt + 4000), { timeout: 3000, what: 'a refresh once shown' });
  await page.getByText(/updated [0-2] s ago/).waitFor();
});
