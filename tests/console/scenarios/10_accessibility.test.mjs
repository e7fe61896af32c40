// Scenario 10: axe-core on every page of the console (sign-in, overview, a connector, jobs, a
// job, tasks, logs, metrics): no serious or critical violation. A screenshot of each page.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { useConsole } from '../lib/scenario.mjs';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const ctx = useConsole('10_accessibility');

async function audit(session, page, name) {
  await session.loaded().catch(() => {});
  // Injected by the test through the DevTools protocol, not a <script> of the page: the
  // console's policy allows no script but its own.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  await session.screenshot('10-' + name);
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${name}: ${JSON.stringify(bad, null, 1)}`);
}

ctx.step('every page passes axe-core', async ({ host, session, page }) => {
  const { json } = await host.api('POST', '/api/v1/jobs', {
    token: host.clientToken, body: { connector: 'diagnostics', action: 'echo', input: { a: 1 } }, expect: 202,
  });
  await session.goto('/console/');
  await page.getByLabel('API token').waitFor();
  await audit(session, page, 'sign-in');
  await session.signIn();
  const pages = [
    ['overview', '#/', null],
    ['connector', '#/connectors/chorus', 'chorus'],
    ['jobs', '#/jobs', 'Jobs'],
    ['job', `#/jobs/${json.id}`, `Job ${json.id}`],
    ['tasks', '#/tasks', null],
    ['logs', '#/logs', 'Logs'],
    ['metrics', '#/metrics', null],
  ];
  for (const [name, hash, heading] of pages) {
    await session.show(hash, heading);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await audit(session, page, name);
  }
});
