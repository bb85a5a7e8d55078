// The map page in real headless Chromium against a real server on the Seattle
// demo, plus a few assets of our own (one named with markup, some with languages).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launch, ARTIFACTS, placer } from './harness.mjs';

const XSS = '<img src=x onerror="window.__xss=1">';
// Inside Adams Elementary's attendance area (district id 201).
const place = placer();
const extra = (id, name, category, languages) =>
  place(id, name, category, { languages, address: '<b>1 Test Way</b>', phone: '206-555-0100', website: 'https://example.org/' });
let server, browser;

before(async () => {
  server = await startServer({
    extra: {
      type: 'FeatureCollection',
      features: [
        extra('test:xss', XSS, 'library', ['en']),
        extra('test:es1', 'Centro de Recursos Familiares', 'family_support', ['es', 'en']),
        extra('test:es2', 'Biblioteca Comunitaria', 'library', ['es']),
        extra('test:vi1', 'Vietnamese Senior Lunch', 'food', ['vi']),
      ],
    },
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openPage(path = '/') {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
  await page.goto(server.base + path, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  return { page, errors };
}

const api = async (query) => (await fetch(server.base + '/collections/assets/items?' + query)).json();

// Markers on the map: the counts on the cluster bubbles plus the single markers.
const markerTotal = (page) => page.evaluate(() => {
  let n = document.querySelectorAll('.leaflet-marker-pane .asset-icon').length;
  for (const c of document.querySelectorAll('.leaflet-marker-pane .marker-cluster')) n += Number(c.textContent.trim());
  return n;
});
const listIds = (page) => page.$$eval('#list li', (lis) => lis.map((li) => li.dataset.id).sort());

async function pick(page, name) {
  await page.fill('#school-search', name);
  await page.press('#school-search', 'Enter');
  await page.waitForFunction((n) => document.querySelector('#summary-title').textContent === n, name);
}

test('picking a school draws exactly the API\'s assets on the map and in the list', async () => {
  const { page, errors } = await openPage();
  assert.ok(await page.locator('.school-marker').count() > 100, 'the district view shows every school');
  await pick(page, 'Adams');
  const want = await api('school=201&limit=10000');
  await page.waitForFunction((n) => document.querySelectorAll('#list li').length === n, want.numberMatched);
  assert.equal(await markerTotal(page), want.numberMatched);
  assert.deepEqual(await listIds(page), want.features.map((f) => f.id).sort());
  assert.equal(await page.locator('.campus-icon').count(), 1);
  assert.match(await page.textContent('#summary-area'), /2020-2021 attendance area/);
  assert.match(await page.textContent('#gaps'), /No mental health within the 2020-2021 attendance area/);
  assert.equal(new URL(page.url()).searchParams.get('school'), '201');
  await page.screenshot({ path: join(ARTIFACTS, 'school-map.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the legend and the language filter change map, list and counts together', async () => {
  const { page } = await openPage('/?school=201');
  const all = await api('school=201&limit=10000');
  const parks = all.features.filter((f) => f.properties.category === 'parks_recreation').length;
  assert.ok(parks > 0);
  await page.click('.legend-entry[data-category="parks_recreation"]');
  await page.waitForFunction((n) => document.querySelectorAll('#list li').length === n, all.numberMatched - parks);
  assert.equal(await markerTotal(page), all.numberMatched - parks);
  assert.equal(await page.getAttribute('.legend-entry[data-category="parks_recreation"]', 'aria-pressed'), 'false');
  assert.equal(new URL(page.url()).searchParams.get('hide'), 'parks_recreation');

  await page.selectOption('#lang', 'es');
  const spanish = all.features.filter((f) => (f.properties.languages || []).includes('es'));
  await page.waitForFunction((n) => document.querySelectorAll('#list li').length === n, spanish.length);
  assert.equal(await markerTotal(page), spanish.length);
  // Legend counts follow the filter: one Spanish-speaking library.
  assert.equal(await page.textContent('.legend-entry[data-category="library"] .legend-count'), '(1)');
  assert.match(await page.textContent('#count'), new RegExp('\\(' + spanish.length + ' of ' + all.numberMatched + '\\)'));
  await page.close();
});

test('a copied link restores the same view in a fresh page', async () => {
  const { page } = await openPage('/?school=201');
  await page.click('.legend-entry[data-category="food"]');
  await page.selectOption('#lang', 'en');
  await page.selectOption('#sort', 'name');
  await page.click('#copy-link');
  const link = await page.inputValue('#share-url');
  assert.equal(link, page.url());
  const before = { ids: await page.$$eval('#list li', (l) => l.map((x) => x.dataset.id)), count: await page.textContent('#count') };
  await page.close();

  const fresh = await browser.newPage();
  await fresh.goto(link, { waitUntil: 'load' });
  await fresh.waitForSelector('body[data-ready="true"]');
  assert.deepEqual(await fresh.$$eval('#list li', (l) => l.map((x) => x.dataset.id)), before.ids);
  assert.equal(await fresh.textContent('#count'), before.count);
  assert.equal(await fresh.inputValue('#lang'), 'en');
  assert.equal(await fresh.inputValue('#sort'), 'name');
  assert.equal(await fresh.getAttribute('.legend-entry[data-category="food"]', 'aria-pressed'), 'false');
  await fresh.close();
});

test('data is shown as text, never run as HTML', async () => {
  const { page } = await openPage('/?school=201');
  const item = page.locator('#list li', { hasText: XSS });
  assert.equal(await item.count(), 1, 'the asset with markup in its name is listed as text');
  await item.click();
  await page.waitForSelector('.leaflet-popup-content h3');
  assert.equal(await page.textContent('.leaflet-popup-content h3'), XSS);
  assert.equal(await page.locator('.leaflet-popup-content img, #list img, .leaflet-popup-content b').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  // The popup's details.
  assert.equal(await page.getAttribute('.leaflet-popup-content a[href^="tel:"]', 'href'), 'tel:2065550100');
  const site = page.locator('.leaflet-popup-content a[target="_blank"]');
  assert.match(await site.getAttribute('rel'), /noopener/);
  assert.match(await page.textContent('.leaflet-popup-content'), /from the campus/);
  await page.close();
});

test('keyboard alone picks a school, filters, and opens an asset', async () => {
  const { page } = await openPage('/');
  const tabTo = async (selector) => {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
    }
    throw new Error('Tab never reached ' + selector);
  };
  await tabTo('#school-search');
  await page.keyboard.type('Adams');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#list li').length > 0);
  const total = await page.locator('#list li').count();
  await tabTo('.legend-entry[data-category="library"]');
  await page.keyboard.press('Space');
  await page.waitForFunction((n) => document.querySelectorAll('#list li').length < n, total);
  await tabTo('#list li');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.leaflet-popup-content h3');
  assert.equal(await page.textContent('.leaflet-popup-content h3'), await page.textContent('#list li[aria-current="true"] strong'));
  await page.close();
});

test('downloads give exactly what is shown', async () => {
  const { page } = await openPage('/?school=201&hide=parks_recreation');
  const shown = await listIds(page);
  const [geo] = await Promise.all([page.waitForEvent('download'), page.click('#download-geojson')]);
  const fc = JSON.parse(readFileSync(await geo.path(), 'utf8'));
  assert.equal(fc.type, 'FeatureCollection');
  assert.deepEqual(fc.features.map((f) => f.id).sort(), shown);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
  const lines = readFileSync(await csv.path(), 'utf8').trim().split('\r\n');
  assert.equal(lines[0], 'id,name,category,address,phone,email,website,hours,languages,last_verified,distance_m,longitude,latitude');
  assert.equal(lines.length - 1, shown.length);
  await page.close();
});

test('radius rings, and a school without an attendance area', async () => {
  const { page } = await openPage('/?school=201&radius=0.5');
  const school = await (await fetch(server.base + '/collections/schools/items/201')).json();
  const [lon, lat] = school.geometry.coordinates;
  const within = await api(`near=${lon},${lat}&radius=${0.5 * 1609.344}&limit=10000`);
  await page.waitForFunction((n) => document.querySelectorAll('#list li').length === n, within.numberMatched);
  assert.match(await page.textContent('#summary-area'), /within 0.5 miles of the campus/);
  await page.close();

  const schools = await (await fetch(server.base + '/collections/schools/items?limit=1000')).json();
  const option = schools.features.find((f) => f.properties.level === 'Option ELEM');
  const { page: p2 } = await openPage('/?school=' + option.properties.external_id);
  const area = await api('school=' + option.properties.external_id + '&limit=10000');
  await p2.waitForFunction((n) => document.querySelectorAll('#list li').length === n, area.numberMatched);
  assert.match(await p2.textContent('#summary-area'), /no attendance area/);
  await p2.close();
});

test('the print view is a resource sheet on letter paper', async () => {
  const { page } = await openPage('/?school=201');
  await page.emulateMedia({ media: 'print' });
  await page.waitForTimeout(200); // the page refits its map to the print layout
  assert.equal(await page.locator('#tools').isVisible(), false);
  assert.equal(await page.locator('#map').isVisible(), true);
  assert.ok(await page.locator('#list li').first().isVisible());
  await page.pdf({ path: join(ARTIFACTS, 'resource-sheet.pdf'), format: 'Letter' });
  await page.close();
});
