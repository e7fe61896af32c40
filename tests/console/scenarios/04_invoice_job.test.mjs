// Scenario 4: an invoice submitted through the API (POST /api/v1/jobs, chorus submit_invoice);
// the jobs page follows its job to its final state, and its detail shows the attempts and the
// result Chorus Pro gave.
import assert from 'node:assert/strict';
import { useConsole } from '../lib/scenario.mjs';
import { invoiceInput } from '../lib/host.mjs';

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
