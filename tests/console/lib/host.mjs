// Starts what one scenario needs, each run in its own temporary directory on its own ports:
// the Chorus Pro emulator, then `relais serve` pointed at it (the connectors' settings through
// RELAIS__ environment overrides, as scripts/run does), and stops them whatever happens.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, statSync, rmSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from './wait.mjs';

export const buildDir = resolve(process.env.RELAIS_BUILD_DIR || new URL('../../../build/default', import.meta.url).pathname);
export const sourceDir = resolve(process.env.RELAIS_SOURCE_DIR || new URL('../../..', import.meta.url).pathname);

// The demo accounts of the Chorus Pro emulator (its log prints them).
export const chorus = {
  clientId: 'relais-piste-client',
  clientSecret: 'relais-piste-secret',
  technicalLogin: 'TECH_1_relais@cpro.fr',
  technicalPassword: 'Relais-Tech-2026',
  structureId: '12345678200010',
};

// A port the system just gave out: bound on 0, then closed, so the child can take it. Another
// process may win the race; the children are then restarted on a new port (see start()).
export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

function randomToken(prefix) {
  return prefix + '-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
}

class Child {
  constructor(name, command, args, env, logFile) {
    this.name = name;
    this.output = '';
    this.exited = null;
    this.process = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk) => {
      this.output += chunk.toString();
      writeFileSync(logFile, this.output);
    };
    this.process.stdout.on('data', keep);
    this.process.stderr.on('data', keep);
    this.process.on('exit', (code, signal) => { this.exited = { code, signal }; });
  }
  running() { return this.exited === null; }
  async stop() {
    if (!this.running()) return;
    this.process.kill('SIGTERM');
    try {
      await waitFor(() => !this.running(), { timeout: 5000, what: this.name + ' to stop' });
    } catch {
      this.process.kill('SIGKILL');
      await waitFor(() => !this.running(), { timeout: 5000, what: this.name + ' to be killed' });
    }
  }
}

async function startEmulator(dir) {
  for (let attempt = 1; ; ++attempt) {
    const port = await freePort();
    const tlsDir = join(dir, 'chorus-tls-' + attempt);
    const child = new Child('chorus-emulator', join(buildDir, 'bin/chorus-emulator'),
      ['--port', String(port), '--tls-dir', tlsDir, '--processing-seconds', '2'], {}, join(dir, 'chorus.log'));
    const ca = join(tlsDir, 'ca.pem');
    try {
      await waitFor(() => {
        if (!child.running()) throw new Error('chorus-emulator exited: ' + child.output);
        return existsSync(ca) && statSync(ca).size > 0;
      }, { timeout: 15000, what: 'the Chorus Pro emulator to write its CA' });
      return { child, port, ca };
    } catch (e) {
      await child.stop();
      if (attempt >= 3 || !/address already in use|EADDRINUSE|bind/i.test(child.output)) throw e;
    }
  }
}

export async function startHost({ name = 'console', extraEnv = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'relais-' + name + '-'));
  const adminToken = randomToken('admin');
  const clientToken = randomToken('client');
  const children = [];
  const stop = async () => {
    for (const c of children.reverse()) await c.stop();
    if (!process.env.RELAIS_KEEP_TEMP) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const emulator = await startEmulator(dir);
    children.push(emulator.child);
    const env = {
      // The console as built into relais, as users get it (RELAIS_CONSOLE_DIR=1 serves console/ instead).
      ...(process.env.RELAIS_CONSOLE_DIR ? { RELAIS_CONSOLE_DIR: join(sourceDir, 'console') } : {}),
      RELAIS__CONNECTORS__CHORUS__ENABLED: 'true',
      RELAIS__CONNECTORS__CHORUS__OAUTH_URL: `https://localhost:${emulator.port}/api/oauth/token`,
      RELAIS__CONNECTORS__CHORUS__API_URL: `https://localhost:${emulator.port}`,
      RELAIS__CONNECTORS__CHORUS__CA_FILE: emulator.ca,
      RELAIS__CONNECTORS__CHORUS__CLIENT_ID: chorus.clientId,
      RELAIS__CONNECTORS__CHORUS__CLIENT_SECRET: chorus.clientSecret,
      RELAIS__CONNECTORS__CHORUS__TECHNICAL_LOGIN: chorus.technicalLogin,
      RELAIS__CONNECTORS__CHORUS__TECHNICAL_PASSWORD: chorus.technicalPassword,
      // A value that parses as JSON is taken as JSON: a numeric string is quoted.
      RELAIS__CONNECTORS__CHORUS__STRUCTURE_ID: JSON.stringify(chorus.structureId),
      RELAIS__CONNECTORS__CHORUS__POLL_INITIAL_DELAY_SECONDS: '1',
      RELAIS__CONNECTORS__CHORUS__POLL_MAX_DELAY_SECONDS: '2',
      ...extraEnv,
    };
    for (let attempt = 1; ; ++attempt) {
      const port = await freePort();
      const config = {
        host: {
          listen: { address: '127.0.0.1', port },
          data_dir: join(dir, 'data'),
          log: { format: 'text', level: 'information', levels: { 'relais.plugin.diagnostics': 'debug' } },
          api: { request_timeout_seconds: 30, max_threads: 16, shutdown_grace_seconds: 2 },
          jobs: { workers: 4, lease_seconds: 60, durability: 'accepted' },
          tokens: [
            { name: 'erp', token: clientToken, scopes: ['client'] },
            { name: 'admin', token: adminToken, scopes: ['admin', 'client'] },
          ],
        },
        connectors: {
          // Dead at the first failure, so scenarios need not wait for retries.
          diagnostics: { greeting: 'bonjour', max_sleep_ms: 5000, retry_attempts: 1 },
          chorus: { environment: 'qualification' },
        },
      };
      const configFile = join(dir, 'relais.json');
      writeFileSync(configFile, JSON.stringify(config, null, 2));
      const relais = new Child('relais', join(buildDir, 'bin/relais'), ['serve', '--config', configFile], env,
        join(dir, 'relais.log'));
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitFor(async () => {
          if (!relais.running()) throw new Error('relais exited: ' + relais.output);
          try {
            return (await fetch(url + '/readyz')).status === 200;
          } catch {
            return false;
          }
        }, { timeout: 20000, what: 'relais to be ready' });
        children.push(relais);
        return new Host({ dir, url, adminToken, clientToken, relais, emulator, stop });
      } catch (e) {
        await relais.stop();
        if (attempt >= 3 || !/already in use|EADDRINUSE/i.test(relais.output)) throw e;
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
}

export class Host {
  constructor(o) { Object.assign(this, o); }
  get log() { return this.relais.output; }

  // The API as the ERP or a script would call it, for preparing and checking what the page shows.
  async api(method, path, { body, token = this.adminToken, expect } = {}) {
    const headers = { Authorization: 'Bearer ' + token };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON: kept as text */ }
    if (expect !== undefined && response.status !== expect)
      throw new Error(`${method} ${path}: expected ${expect}, got ${response.status}: ${text}`);
    return { status: response.status, json, text };
  }
}

// The sample UBL invoice of plugins/chorus/samples under a new number: a valid submit_invoice input.
export function invoiceInput(number) {
  const sample = readFileSync(join(sourceDir, 'plugins/chorus/samples/ubl-invoice.xml'), 'utf8');
  const file = sample.replace('FA-2026-0001', number);
  return { invoice_number: number, syntax: 'ubl', file_base64: Buffer.from(file).toString('base64') };
}
