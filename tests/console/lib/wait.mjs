// Waiting on a condition with a deadline: the only way the scenarios wait (no fixed sleeps).
import { setTimeout as delay } from 'node:timers/promises';

export async function waitFor(condition, { timeout = 10000, interval = 50, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    const value = await condition();
    if (value) return value;
    last = value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await delay(interval);
  }
}
