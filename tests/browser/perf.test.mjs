// How fast the page is with 10,000 assets in the database: measured in the
// browser and written to artifacts/perf.json for BENCHMARKS.md; only the
// result's correctness is asserted, never a time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launch, ARTIFACTS } from './harness.mjs';

let server, browser;
const N = 10000;

before(async () => {
  // Deterministic points: half over Adams Elementary's neighbourhood, half over Seattle.
  let seed = 42;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const cats = ['food', 'library', 'health', 'mental_health', 'youth_programs', 'parks_recreation', 'community_centre', 'family_support'];
  const features = [];
  for (let i = 0; i < N - 643; i++) {
    const near = i % 2 === 0;
    const lon = near ? -122.405 + rnd() * 0.03 : -122.43 + rnd() * 0.19;
    const lat = near ? 47.665 + rnd() * 0.025 : 47.50 + rnd() * 0.23;
    features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] },
      properties: { id: 'perf:' + i, name: 'Asset ' + i, category: cats[i % cats.length], languages: i % 3 ? ['en'] : ['en', 'es'], address: i + ' Example Ave' } });
  }
  server = await startServer({ extra: { type: 'FeatureCollection', features } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a school page over 10,000 assets: time to interactive', async () => {
  const total = (await (await fetch(server.base + '/collections/assets/items?limit=1')).json()).numberMatched;
  assert.equal(total, N);
  const want = (await (await fetch(server.base + '/collections/assets/items?school=201&limit=10000')).json()).numberMatched;
  const runs = [];
  for (let i = 0; i < 5; i++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(server.base + '/?school=201', { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.locator('#list li').count(), want);
    runs.push(Number(await page.getAttribute('body', 'data-ready-ms')));
    // Picking another school from the search box, and back.
    const t0 = Date.now();
    await page.fill('#school-search', 'Adams');
    await page.press('#school-search', 'Enter');
    await page.waitForFunction((n) => document.querySelectorAll('#list li').length === n, want);
    runs[runs.length - 1] = { load_ms: runs[runs.length - 1], repick_ms: Date.now() - t0 };
    await page.close();
  }
  const median = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  const result = { assets_in_database: total, assets_in_school_area: want, runs, median_load_ms: median('load_ms'), median_repick_ms: median('repick_ms') };
  writeFileSync(join(ARTIFACTS, 'perf.json'), JSON.stringify(result, null, 2));
  console.log('perf:', JSON.stringify(result));
});
