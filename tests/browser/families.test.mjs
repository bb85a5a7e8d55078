// The map page as a family sees it, in real headless Chromium: in Spanish when
// the browser or the link asks, with the hours in words and "Open now /
// Evenings / Weekends" filters counted like the others, a school opened by
// either of its ids, an unknown id said plainly, and no console error at all
// (a missing favicon counts; only the tiles, deliberately served nowhere, may fail).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, placer } from './harness.mjs';

const extra = placer();
let server, browser;

before(async () => {
  server = await startServer({
    extra: {
      type: 'FeatureCollection',
      features: [
        extra('h:always', 'Always Open Shelter', 'housing', { opening_hours: '24/7', languages: ['es'], name_es: 'Refugio siempre abierto' }),
        extra('h:never', 'Closed Pantry', 'food', { opening_hours: 'off' }),
        extra('h:evening', 'Evening Tutoring', 'education', { opening_hours: 'Tu,Th 15:00-19:30' }),
        extra('h:weekend', 'Weekend Market', 'food', { opening_hours: 'Sa 09:00-13:00', hours: 'closed on holidays' }),
      ],
    },
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openPage(path, locale = 'en-US') {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !(m.location().url || '').includes('/tiles/')) errors.push(m.text() + ' ' + (m.location().url || ''));
  });
  await page.goto(server.base + path, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  return { page, errors, context };
}

const listNames = (page) => page.$$eval('#list li strong', (l) => l.map((x) => x.textContent).sort());

test('a Spanish-speaking browser gets the page in Spanish, and the picker switches it', async () => {
  const { page, errors, context } = await openPage('/?school=201', 'es-MX');
  assert.equal(await page.getAttribute('html', 'lang'), 'es');
  assert.equal(await page.inputValue('#ui-lang'), 'es');
  assert.equal(await page.textContent('#gaps-title'), 'Lo que falta');
  assert.equal(await page.textContent('label[for="year"]'), 'Año escolar');
  assert.match(await page.textContent('#summary-area'), /recursos en el área de asistencia 2020-2021/);
  // The server's statements come in Spanish too.
  const gaps = await page.$$eval('#gaps li', (l) => l.map((x) => x.textContent));
  assert.ok(gaps.length > 0 && gaps.every((g) => g.startsWith('Sin ')), gaps.join(' | '));
  assert.equal(await page.textContent('.legend-entry[data-category="food"] span:nth-child(2)'), 'Alimentos ');
  // The asset's own Spanish name, where it has one.
  assert.ok((await listNames(page)).includes('Refugio siempre abierto'));

  await page.selectOption('#ui-lang', 'en');
  await page.waitForURL(/lang=en/);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.textContent('#gaps-title'), 'What is missing');
  assert.match(await page.textContent('#gaps'), /No mental health within/);
  assert.ok((await listNames(page)).includes('Always Open Shelter'));
  assert.deepEqual(errors, []);
  await context.close();
});

test('a shared link opens in its language whatever the browser', async () => {
  const { page, errors, context } = await openPage('/?school=201&lang=es', 'en-US');
  assert.equal(await page.getAttribute('html', 'lang'), 'es');
  assert.equal(await page.textContent('#list-title span'), 'Recursos');
  await page.click('#copy-link');
  assert.equal(new URL(await page.inputValue('#share-url')).searchParams.get('lang'), 'es');
  assert.deepEqual(errors, []);
  await context.close();
});

test('open now, evenings and weekends filter and count like the others; hours read in words', async () => {
  const { page, errors, context } = await openPage('/?school=201', 'en-US');
  assert.equal(await page.textContent('#open-now-count'), '(1)');
  assert.equal(await page.textContent('#open-evening-count'), '(2)');
  assert.equal(await page.textContent('#open-weekend-count'), '(2)');
  await page.check('#open-evening');
  await page.waitForFunction(() => document.querySelectorAll('#list li').length === 2);
  assert.deepEqual(await listNames(page), ['Always Open Shelter', 'Evening Tutoring']);
  assert.equal(new URL(page.url()).searchParams.get('open'), 'evening');
  await page.check('#open-weekend');
  await page.waitForFunction(() => document.querySelectorAll('#list li').length === 1);
  assert.deepEqual(await listNames(page), ['Always Open Shelter']);
  await page.uncheck('#open-evening');
  await page.uncheck('#open-weekend');
  await page.check('#open-now');
  await page.waitForFunction(() => document.querySelectorAll('#list li').length === 1);
  // The list and the popup say the hours in words.
  const item = page.locator('#list li', { hasText: 'Always Open Shelter' });
  assert.match(await item.textContent(), /Hours: Mon–Sun 0:00–24:00/);
  await item.press('Enter');
  await page.waitForSelector('.leaflet-popup .hours');
  const popup = await page.textContent('.leaflet-popup');
  assert.match(popup, /Open now/);
  assert.match(popup, /Languages: Spanish/);
  assert.deepEqual(errors, []);
  await context.close();

  const es = await openPage('/?school=201&lang=es&open=weekend', 'en-US');
  assert.equal(await es.page.isChecked('#open-weekend'), true);
  const market = es.page.locator('#list li', { hasText: 'Weekend Market' });
  assert.match(await market.textContent(), /Horario: sáb 9:00–13:00/);
  // The printed sheet for families keeps the hours, in their language.
  await es.page.emulateMedia({ media: 'print' });
  assert.ok(await market.locator('.hours').isVisible());
  await es.page.emulateMedia({ media: 'screen' });
  await market.press('Enter');
  await es.page.waitForSelector('.leaflet-popup .hours');
  const words = await es.page.textContent('.leaflet-popup');
  assert.match(words, /Nota sobre el horario: closed on holidays/);
  assert.deepEqual(es.errors, []);
  await es.context.close();
});

test('a school opens by its API id as well as its district id; an unknown id says so', async () => {
  const schools = await (await fetch(server.base + '/collections/schools/items?limit=10000')).json();
  const adams = schools.features.find((s) => String(s.properties.external_id) === '201');
  const { page, errors, context } = await openPage('/?school=' + adams.id);
  assert.equal(await page.textContent('#summary-title'), adams.properties.name);
  assert.equal(new URL(page.url()).searchParams.get('school'), '201');
  await context.close();

  const unknown = await openPage('/?school=no-such-school');
  assert.match(await unknown.page.textContent('#status'), /No school has the id “no-such-school”/);
  assert.equal(await unknown.page.textContent('#summary-title'), 'Pick a school');
  assert.deepEqual([...errors, ...unknown.errors], []);
  await unknown.context.close();
});
