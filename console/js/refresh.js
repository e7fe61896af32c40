// Polling that stops while the tab is hidden (no load on the host for a page nobody looks at),
// starts again at once when it is shown, and says how old what is shown is.
import { t } from './i18n.js';

export class AutoRefresh {
  // load(): a promise; label: the element showing "updated 12 s ago".
  constructor(load, { every = 2000, label } = {}) {
    this.load = load;
    this.every = every;
    this.label = label;
    this.lastOk = null;
    this.failed = false;
    this.timer = null;
    this.ticker = null;
    this.running = false;
    this.disposed = false;
    this.onVisibility = () => {
      if (document.hidden) this.pause();
      else this.resume();
    };
    document.addEventListener('visibilitychange', this.onVisibility);
    this.ticker = setInterval(() => this.showAge(), 1000);
    if (!document.hidden) this.resume();
    else this.showAge();
  }

  async tick() {
    this.timer = null;
    if (this.disposed || document.hidden) return;
    this.running = true;
    try {
      await this.load();
      this.lastOk = Date.now();
      this.failed = false;
    } catch (e) {
      this.failed = true;
      this.error = e;
    }
    this.running = false;
    this.showAge();
    if (!this.disposed && !document.hidden && !this.paused) this.timer = setTimeout(() => this.tick(), this.every);
  }

  // Now, whatever the timer says (after a change the page made).
  now() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.running) return this.tick();
    return undefined;
  }

  pause() {
    this.paused = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.showAge();
  }

  resume() {
    this.paused = false;
    if (!this.timer && !this.running) this.tick();
  }

  showAge() {
    if (!this.label) return;
    const parts = [];
    if (this.lastOk === null) parts.push(t('refresh.never'));
    else parts.push(t('refresh.age', { s: Math.max(0, Math.round((Date.now() - this.lastOk) / 1000)) }));
    if (this.paused || document.hidden) parts.push(t('refresh.paused'));
    if (this.failed) parts.push(t('refresh.failed', { message: this.error && this.error.message }));
    this.label.textContent = parts.join(' · ');
    this.label.classList.toggle('stale', this.failed || this.paused || document.hidden);
  }

  dispose() {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.ticker);
    document.removeEventListener('visibilitychange', this.onVisibility);
  }
}
