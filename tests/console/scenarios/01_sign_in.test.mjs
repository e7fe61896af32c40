// Scenario 1: sign in with a token kept in sessionStorage only, sent only in the Authorization
// header, never in a URL or the page; sign out forgets it. The host's strict headers are there,
// and a Content-Security-Policy violation is caught by the suite's watcher.
import assert from 'node:assert/strict';
import { useConsole } from '../lib/scenario.mjs';
import { waitFor } from '../lib/wait.mjs';

const ctx = useConsole('01_sign_in');

ctx.step('the console is served with strict headers', async ({ host }) => {
  const response = await fetch(host.url + '/console/');
  assert.equal(response.status, 200);
  const csp = response.headers.get('content-security-policy') || '';
  for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"])
    assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp}`);
  assert.equal(response.headers.get('x-frame-options'), 'DENY');
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
});

ctx.step('a violation of the Content-Security-Policy is reported and caught', async ({ session, page }) => {
  await session.goto('/console/');
  await page.getByLabel('API token').waitFor();
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.injected = true';
    document.head.append(s);
  });
  await waitFor(() => session.problems.some((p) => p.startsWith('CSP:')), { timeout: 5000, what: 'the CSP report' });
  assert.equal(await page.evaluate(() => window.injected), undefined);
  session.problems.length = 0;
});

ctx.step('a wrong token is refused and the input is emptied', async ({ session, page }) => {
  await page.getByLabel('API token').fill('not-a-token-of-this-host');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await session.textMatching(page.locator('#signin-message'), /refused/);
  assert.equal(await page.getByLabel('API token').inputValue(), '');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
});

ctx.step('an admin token signs in; it is in sessionStorage, not in the page or a URL', async ({ host, session, page }) => {
  const requests = [];
  page.on('request', (r) => requests.push({ url: r.url(), auth: r.headers().authorization }));
  await session.signIn();
  await page.getByRole('heading', { level: 1, name: 'Connectors' }).waitFor();
  await page.getByRole('link', { name: 'chorus', exact: true }).waitFor();
  assert.match(await page.locator('.session').textContent(), /Signed in as admin\s*administrator/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('relais.token')), host.adminToken);
  assert.equal(await page.evaluate(() => JSON.stringify(localStorage)).then((s) => s.includes(host.adminToken)), false);
  assert.ok(!page.url().includes(host.adminToken));
  const dom = await page.content();
  assert.ok(!dom.includes(host.adminToken), 'the token is not in the DOM');
  const values = await page.evaluate(() => [...document.querySelectorAll('input, textarea')].map((i) => i.value));
  assert.ok(!values.some((v) => v.includes(host.adminToken)), 'no input holds the token');
  const api = requests.filter((r) => r.url.includes('/api/'));
  assert.ok(api.length > 0);
  for (const r of api) {
    assert.ok(!r.url.includes(host.adminToken), 'the token is in no URL: ' + r.url);
    assert.equal(r.auth, 'Bearer ' + host.adminToken, 'every API call carries the header: ' + r.url);
  }
  await session.screenshot('01-overview-signed-in');
});

ctx.step('a reload keeps the session of the tab', async ({ page }) => {
  await page.reload();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.getByRole('heading', { level: 1, name: 'Connectors' }).waitFor();
});

ctx.step('sign out forgets the token', async ({ page }) => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API token').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('relais.token')), null);
  await page.reload();
  await page.getByLabel('API token').waitFor();
});

ctx.step('the labels switch to French', async ({ session, page }) => {
  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('heading', { level: 1, name: 'Connexion' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
  await page.getByLabel('Jeton d\'API').waitFor();
  await session.screenshot('01-sign-in-fr');
  await page.getByLabel('Langue').selectOption('en');
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
});
