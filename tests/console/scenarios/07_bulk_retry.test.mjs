// Scenario 7: dead jobs on two connectors; a bulk retry filtered by one connector retries
// exactly that connector's dead jobs, done by the host after the count is confirmed. A set that
// changed between the count and the confirmation is refused and asked again with the new count.
import assert from 'node:assert/strict';
import { useConsole } from '../lib/scenario.mjs';
import { waitFor } from '../lib/wait.mjs';

const ctx = useConsole('07_bulk_retry');
const ids = { diagnostics: [], chorus: [] };
let chorusBefore;

async function killJob(host, connector) {
  const body = connector === 'diagnostics'
    ? { connector, action: 'fail', input: { class: 'permanent', message: 'failed on purpose' } }
    // Refused by the connector before any call to Chorus Pro: not a code sent through it.
    : { connector, action: 'submit_invoice', input: { invoice_number: 'FA-DEAD-' + ids.chorus.length, syntax: 'ubl', file_base64: 'PHg+PC94Pg==', dematerialisation_code: 'NOT_LISTED' } };
  const { json } = await host.api('POST', '/api/v1/jobs', { token: host.clientToken, body, expect: 202 });
  ids[connector].push(json.id);
  return json.id;
}

async function job(host, id) {
  return (await host.api('GET', `/api/v1/jobs/${id}`, { expect: 200 })).json;
}

async function allDead(host, list) {
  await waitFor(async () => {
    for (const id of list) if ((await job(host, id)).state !== 'dead') return false;
    return true;
  }, { timeout: 15000, what: `jobs ${list} to be dead` });
}

ctx.step('dead jobs on two connectors', async ({ host }) => {
  for (let i = 0; i < 3; ++i) await killJob(host, 'diagnostics');
  for (let i = 0; i < 2; ++i) await killJob(host, 'chorus');
  await allDead(host, [...ids.diagnostics, ...ids.chorus]);
  chorusBefore = await Promise.all(ids.chorus.map((id) => job(host, id)));
});

ctx.step('the filter by connector and state shows that connector\'s dead jobs only', async ({ session, page }) => {
  await session.signIn();
  await session.show('#/jobs', 'Jobs');
  await page.getByLabel('Connector', { exact: true }).selectOption('diagnostics');
  await page.getByLabel('State', { exact: true }).selectOption('dead');
  await waitFor(async () => (await page.locator('tbody tr[data-job]').count()) === 3, { what: 'three rows' });
  assert.equal(await page.locator('tbody tr[data-state="dead"]').count(), 3);
  assert.match(page.url(), /connector=diagnostics/);
});

ctx.step('retry all matching: confirmed with its count, done by the host', async ({ host, session, page }) => {
  await page.getByRole('button', { name: 'Retry all matching' }).click();
  const dialog = page.getByRole('dialog', { name: 'Retry 3 jobs?' });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Connector = diagnostics, State = dead/);
  await session.screenshot('07-bulk-confirm');
  const sent = page.waitForRequest((r) => r.url().endsWith('/api/v1/jobs/bulk'));
  await dialog.getByRole('button', { name: 'Retry 3 jobs' }).click();
  const body = JSON.parse((await sent).postData());
  assert.deepEqual(body, { operation: 'retry', filter: { connector: 'diagnostics', state: 'dead' }, expected_count: 3 });
  await session.textMatching(page.getByRole('status'), /3 jobs retried \(3 matched\)/);

  // Exactly those moved: each diagnostics job ran again (and died again), no chorus job did.
  await waitFor(async () => {
    for (const id of ids.diagnostics) {
      const j = await job(host, id);
      if (j.attempt_history.length !== 2 || j.state !== 'dead') return false;
    }
    return true;
  }, { timeout: 15000, what: 'each diagnostics job to be retried once' });
  const chorusAfter = await Promise.all(ids.chorus.map((id) => job(host, id)));
  assert.deepEqual(chorusAfter, chorusBefore, 'the chorus jobs did not change');
});

ctx.step('a set that changed after the count is refused and confirmed again', async ({ host, session, page }) => {
  await page.getByRole('button', { name: 'Retry all matching' }).click();
  const dialog = page.getByRole('dialog', { name: 'Retry 3 jobs?' });
  await dialog.waitFor();
  const extra = await killJob(host, 'diagnostics');
  await allDead(host, [extra]);
  await dialog.getByRole('button', { name: 'Retry 3 jobs' }).click();
  const again = page.getByRole('dialog', { name: 'Retry 4 jobs?' });
  await again.waitFor();
  assert.equal(await job(host, extra).then((j) => j.attempt_history.length), 1, 'nothing was retried on the refusal');
  await again.getByRole('button', { name: 'Retry 4 jobs' }).click();
  await session.textMatching(page.getByRole('status'), /4 jobs retried/);
  await waitFor(async () => (await job(host, extra)).attempt_history.length === 2, { what: 'the new job to be retried' });
  assert.deepEqual(await Promise.all(ids.chorus.map((id) => job(host, id))), chorusBefore);
});
