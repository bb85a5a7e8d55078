// Shared set-up for the browser tests: a real `assetmap serve` on a fresh
// database, and Debian's headless Chromium driven by playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
export const BIN = process.env.ASSETMAP_BIN || join(ROOT, 'target', 'debug', 'assetmap');
export const ARTIFACTS = join(here, 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

/**
 * A maker of extra assets placed one after another inside Adams Elementary's
 * attendance area (district id 201): `make(id, name, category, properties)`.
 */
export function placer() {
  let placed = 0;
  return (id, name, category, props) => ({
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [-122.3925 + 0.0015 * placed, 47.6745 + 0.0008 * (placed++ % 2)] },
    properties: { id, name, category, ...props },
  });
}

/** Imports extra assets (a FeatureCollection object) into the database with the CLI. */
export function importAssets(dbUrl, collection) {
  const dir = mkdtempSync(join(tmpdir(), 'assetmap-import-'));
  const file = join(dir, 'extra.geojson');
  writeFileSync(file, JSON.stringify(collection));
  execFileSync(BIN, ['import', 'assets', file, '--id-field', 'id', '--database-url', dbUrl], { stdio: 'pipe' });
}

/**
 * Starts a server on a fresh database with the demo set (plus `extra` assets,
 * and whatever `setup(dbUrl, run)` adds with the CLI before the page is served).
 */
export async function startServer({ extra, setup } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'assetmap-browser-'));
  const dbUrl = 'sqlite://' + join(dir, 'test.db');
  const port = await freePort();
  // Migrate and load the demo by starting once with the demo, then add extras.
  execFileSync(BIN, ['migrate', '--database-url', dbUrl], { stdio: 'pipe' });
  const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--database-url', dbUrl,
    // Tiles come from this server's own address: none load, and the page must still work.
    '--tile-url', `http://127.0.0.1:${port}/tiles/{z}/{x}/{y}.png`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const base = `http://127.0.0.1:${port}`;
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  await waitFor(base);
  if (extra || setup) {
    // The SQLite store is read at start: add the extras, then restart.
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    if (extra) importAssets(dbUrl, extra);
    if (setup) setup(dbUrl, (args) => execFileSync(BIN, [...args, '--database-url', dbUrl], { stdio: 'pipe' }));
    return startOn(dbUrl, port);
  }
  return { base, dbUrl, stop: async () => { proc.kill('SIGTERM'); await new Promise((r) => proc.once('exit', r)); }, log: () => log };
}

async function startOn(dbUrl, port) {
  const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--database-url', dbUrl,
    '--tile-url', `http://127.0.0.1:${port}/tiles/{z}/{x}/{y}.png`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(base);
  return { base, dbUrl, stop: async () => { proc.kill('SIGTERM'); await new Promise((r) => proc.once('exit', r)); } };
}

/** Adds a user with the CLI and returns the token it prints (`more`: e.g. ['--school', '201']). */
export function addUser(dbUrl, role, name, more = []) {
  return execFileSync(BIN, ['user', 'add', '--role', role, '--name', name, '--database-url', dbUrl, ...more], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
}

async function waitFor(base) {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(base + '/conformance');
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start at ' + base);
}

/** Debian's Chromium, headless, with the flags this sandbox needs. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
