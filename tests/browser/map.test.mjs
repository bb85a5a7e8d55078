// The map page in real headless Chromium against a real server on the Seattle demo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, launch, ARTIFACTS } from './harness.mjs';

const XSS = '<img src=x onerror="window.__xss=1">';
let server, browser;

before(async () => {
  server = await startServer({
    extra: {
      type: 'FeatureCollection',
      features: [{
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [-122.3905, 47.6745] },
        properties: { id: 'test:xss', name: XSS, category: 'library', address: '<b>bold?</b>' },
      }],
    },
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openPage() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/tiles|Failed to load resource/.test(m.text())) errors.push(m.text()); });
  return { page, errors };
}

test('picking a school draws its area, campus and exactly the API\'s assets', async () => {
  const { page, errors } = await openPage();
  await page.goto(server.base + '/', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  const api = await (await fetch(server.base + '/collections/assets/items?school=201&limit=10000')).json();
  await page.selectOption('#school', '201');
  await page.waitForFunction((n) => document.querySelectorAll('path.asset-marker').length === n, api.numberMatched);
  assert.equal(await page.locator('#list li').count(), api.numberMatched);
  assert.equal(await page.textContent('#summary-title'), 'Adams');
  assert.match(await page.textContent('#summary-area'), /attendance area/);
  assert.ok(await page.locator('.campus-icon').count() === 1, 'campus marker');
  assert.ok(new URL(page.url()).searchParams.get('school') === '201', 'URL keeps the school');
  await page.screenshot({ path: join(ARTIFACTS, 'school-map.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('data is shown as text, never run as HTML', async () => {
  const { page } = await openPage();
  await page.goto(server.base + '/?school=201', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  const item = page.locator('#list li', { hasText: XSS });
  assert.equal(await item.count(), 1, 'the asset with markup in its name is listed as text');
  await item.click();
  await page.waitForSelector('.leaflet-popup-content h3');
  assert.equal(await page.textContent('.leaflet-popup-content h3'), XSS);
  assert.equal(await page.locator('.leaflet-popup-content img').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await page.close();
});

test('the page works with the keyboard alone', async () => {
  const { page } = await openPage();
  await page.goto(server.base + '/', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  await page.focus('#school');
  await page.keyboard.press('Tab');
  await page.selectOption('#school', '201');
  await page.waitForFunction(() => document.querySelectorAll('#list li').length > 0);
  await page.focus('#list li');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.leaflet-popup-content h3');
  assert.ok((await page.textContent('.leaflet-popup-content h3')).length > 0);
  await page.close();
});
