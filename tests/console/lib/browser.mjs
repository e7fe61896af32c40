// Debian's Chromium, headless, driven by playwright-core, on a fresh profile for each scenario.
// Every page is watched: a Content-Security-Policy violation, an uncaught error or a request to
// anything but the host fails the scenario (see assertClean).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildDir } from './host.mjs';
import { waitFor } from './wait.mjs';

const executablePath = process.env.RELAIS_CHROMIUM || '/usr/bin/chromium';
export const screenshotDir = process.env.RELAIS_CONSOLE_SCREENSHOTS || join(buildDir, 'console-screenshots');

export async function openBrowser(host, { locale = 'en-GB' } = {}) {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 }, baseURL: host.url });
  const page = await context.newPage();
  const session = new BrowserSession(host, browser, context, page);
  return session;
}

export class BrowserSession {
  constructor(host, browser, context, page) {
    this.host = host;
    this.browser = browser;
    this.context = context;
    this.page = page;
    this.problems = [];     // CSP violations, page errors, foreign requests
    this.responses = [];    // {url, status, body} of every response the page received
    const origin = new URL(host.url).origin;
    page.on('console', (m) => {
      const text = m.text();
      if (/Content Security Policy|Content-Security-Policy|Refused to (load|apply|execute|connect|frame)/i.test(text)) this.problems.push('CSP: ' + text);
      else if (m.type() === 'error' && !/status of 40[139]|status of 409/.test(text)) this.problems.push('console error: ' + text);
    });
    page.on('pageerror', (e) => this.problems.push('page error: ' + (e.stack || e.message)));
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(origin + '/') && !url.startsWith('data:')) this.problems.push('request outside the host: ' + url);
    });
    page.on('response', async (r) => {
      const entry = { url: r.url(), status: r.status(), body: '' };
      this.responses.push(entry);
      const type = r.headers()['content-type'] || '';
      if (type.includes('text/event-stream')) return;  // never ends; its lines are checked in the DOM
      try {
        entry.body = (await r.body()).toString('utf8');
      } catch {
        entry.body = '';
      }
    });
  }

  async goto(path) {
    await this.page.goto(this.host.url + path);
  }

  // Signs in through the form, as an administrator would.
  async signIn(token = this.host.adminToken) {
    await this.goto('/console/');
    await this.page.getByLabel('API token').fill(token);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  // Navigates inside the page (the fragment), then waits for the page's heading.
  async show(hash, heading) {
    await this.page.evaluate((h) => { location.hash = h; }, hash);
    if (heading) await this.page.getByRole('heading', { level: 1, name: heading }).waitFor();
  }

  // The page on screen has loaded what it shows: nothing busy, its refresh done, its log live.
  async loaded(timeout = 10000) {
    await this.page.waitForFunction(() => {
      if (document.querySelector('[aria-busy="true"]')) return false;
      const age = document.querySelector('.age');
      if (age && !/\d+ s/.test(age.textContent)) return false;
      const live = document.querySelector('.live-state');
      return !live || live.dataset.state === 'logs.live';
    }, null, { timeout });
  }

  async screenshot(name) {
    mkdirSync(screenshotDir, { recursive: true });
    await this.page.screenshot({ path: join(screenshotDir, name + '.png'), fullPage: true });
  }

  // The text of a locator once it matches, within the deadline.
  async textMatching(locator, regex, timeout = 10000) {
    return waitFor(async () => {
      const count = await locator.count();
      for (let i = 0; i < count; ++i) {
        const text = await locator.nth(i).textContent();
        if (regex.test(text)) return text;
      }
      return false;
    }, { timeout, what: `text matching ${regex}` });
  }

  assertClean() {
    if (this.problems.length) throw new Error('the page misbehaved:\n' + this.problems.join('\n'));
  }

  async close() {
    await this.browser.close().catch(() => {});
  }
}
