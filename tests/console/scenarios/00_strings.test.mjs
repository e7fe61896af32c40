// The labels, without a browser: English and French have the same keys, every key the pages
// ask for exists, and the placeholders of a message are the same in both languages.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sourceDir } from '../lib/host.mjs';
import { en } from '../../../console/js/strings_en.js';
import { fr } from '../../../console/js/strings_fr.js';

// Keys built at run time from a state name: job.<state>, level.<level>...
const DYNAMIC = /^(job|connector|verdict|level|every|per|last)\./;

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.js') ? [readFileSync(join(dir, e.name), 'utf8')] : []);
}

const placeholders = (m) => [...new Set(JSON.stringify(m).match(/\{\w+\}/g) || [])].sort();

test('English and French have the same keys and placeholders', () => {
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
  for (const key of Object.keys(en)) assert.deepEqual(placeholders(fr[key]), placeholders(en[key]), key);
});

test('every label the pages use exists', () => {
  const code = sources(join(sourceDir, 'console', 'js')).join('\n');
  const used = new Set([...code.matchAll(/\bt\('([a-z_]+\.[a-z_.]+|[a-z_]+)'/g)].map((m) => m[1]));
  // Keys given as data (the navigation, the page states of the log).
  for (const m of code.matchAll(/'((?:nav|logs|jobs|tasks|connector)\.[a-z_]+)'/g)) used.add(m[1]);
  const missing = [...used].filter((k) => !(k in en) && !DYNAMIC.test(k));
  assert.deepEqual(missing, []);
  for (const state of ['queued', 'running', 'waiting', 'failed_retrying', 'dead', 'succeeded', 'cancelled', 'failed'])
    assert.ok(en['job.' + state] && fr['job.' + state], state);
  for (const state of ['configured', 'disabled', 'invalid_config']) assert.ok(en['connector.' + state] && fr['connector.' + state]);
  for (const verdict of ['passed', 'failed', 'unsupported']) assert.ok(en['verdict.' + verdict] && fr['verdict.' + verdict]);
});
