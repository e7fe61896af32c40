// One scenario file = one host (emulator + relais serve) and one browser, started before its
// steps and stopped after them whatever happened. A failed step leaves a screenshot named
// after it and the end of relais's log in its error.
import { after, before, test } from 'node:test';
import { startHost } from './host.mjs';
import { openBrowser } from './browser.mjs';

export function useConsole(name, options = {}) {
  const ctx = { host: null, session: null };
  before(async () => {
    ctx.host = await startHost({ name, extraEnv: options.env });
    ctx.session = await openBrowser(ctx.host, options);
    ctx.page = ctx.session.page;
  });
  after(async () => {
    if (ctx.session) await ctx.session.close();
    if (ctx.host) await ctx.host.stop();
  });
  ctx.step = (title, fn, { timeout = 60000 } = {}) => test(title, { timeout }, async () => {
    try {
      await fn(ctx);
      ctx.session.assertClean();
    } catch (e) {
      const slug = `${name}-FAILED-${title}`.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 120);
      await ctx.session.screenshot(slug).catch(() => {});
      const tail = ctx.host ? ctx.host.log.split('\n').slice(-25).join('\n') : '';
      e.message += `\n(screenshot ${slug}.png; the page's problems: ${JSON.stringify(ctx.session.problems)})\nend of relais's log:\n${tail}`;
      throw e;
    }
  });
  return ctx;
}
