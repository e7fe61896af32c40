// Scenario 7: dead jobs on two connectors; the jobs page filtered by one connector and the
// dead state retries all of them at once, on the host, after the count is confirmed; exactly
// that set runs again, and the other connector's dead job is left alone.
import assert from 'node:assert/strict';
import { useConsole } from '../lib/scenario.mjs';
import { waitFor } from '../lib/wait.mjs';

const ctx = useConsole('07_bulk_retry');
const diagnostics = [];
let chorusJob;

async function job(host, id) {
  return (await host.api('GET', `/api/v1/jobs/${id}`, { expect: 200 })).json;
}

ctx.step('three diagnostics jobs and one Chorus Pro job end dead', async ({ host }) => {
  for (let i = 0; i < 3; ++i) {
    const { json } = await host.api('POST', '/api/v1/jobs', {
      token: host.clientToken,
      body: { connector: 'diagnostics', action: 'fail', input: { class: 'permanent', message: 'refused ' + i }, max_attempts: 1 },
      expect: 202,
    });
    diagnostics.push(json.id);
  }
  const { json } = await host.api('POST', '/api/v1/jobs', {
    token: host.clientToken,
    body: { connector: 'chorus', action: 'invoice_status', input: { invoice_id: 987654321 }, max_attempts: 1 },
    expect: 202,
  });
  chorusJob = json.id;
  for (const id of [...diagnostics, chorusJob])
    await waitFor(async () => (await job(host, id)).state === 'dead', { timeout: 30000, what: `job ${id} to be dead` });
});

ctx.step('Retry all matching, filtered by connector, retries exactly that set', async ({ host, session, page }) => {
  await session.signIn();
  await session.show('#/jobs?connector=diagnostics&state=dead', 'Jobs');
  for (const id of diagnostics) await page.locator(`tr[data-job="${id}"]`).waitFor();
  assert.equal(await page.locator(`tr[data-job="${chorusJob}"]`).count(), 0);
  await page.getByRole('button', { name: 'Retry all matching' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: 'Retry 3 jobs?' }).waitFor();
  await session.screenshot('07-bulk-confirm');
  await dialog.getByRole('button', { name: 'Retry 3 jobs' }).click();
  await session.textMatching(page.locator('.bulk'), /3 jobs retried \(3 matched\)/);
  for (const id of diagnostics) {
    await waitFor(async () => {
      const j = await job(host, id);
      return j.state === 'dead' && j.attempt_history.length === 2;
    }, { timeout: 30000, what: `job ${id} to have run again` });
  }
  const other = await job(host, chorusJob);
  assert.equal(other.state, 'dead');
  assert.equal(other.attempt_history.length, 1, 'the Chorus Pro job was not retried');
  await session.screenshot('07-bulk-done');
});
