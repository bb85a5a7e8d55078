// Several districts on one map page, in headless Chromium: with the demo's
// (default) district and a second one holding the same school ids, the page
// asks for the district first, lists only its schools, and opens a school as
// DISTRICT:ID.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, launch, ROOT } from './harness.mjs';

let server, browser;

before(async () => {
  server = await startServer({
    setup: (dbUrl, run) => run(['import', 'schools', join(ROOT, 'data/seattle/Sites_2020.geojson'),
      '--id-field', 'SchoolID', '--name-field', 'property_l', '--district', 'TAC']),
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the district is picked first, then one of its schools', async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.base + '/', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.isVisible('#district'), true, 'two districts: the picker shows');
  const options = await page.$$eval('#district option', (os) => os.map((o) => [o.value, o.textContent]));
  assert.deepEqual(options, [['', 'Default district'], ['TAC', 'TAC']]);
  const schools = await page.$$eval('#school-list option', (os) => os.length);
  assert.equal(schools, 117, "one district's schools, not both");

  await page.selectOption('#district', 'TAC');
  await page.fill('#school-search', 'Adams');
  await page.press('#school-search', 'Enter');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('school') === 'TAC:201');
  await page.waitForFunction(() => /Adams/.test(document.getElementById('summary-title').textContent));
  assert.equal(await page.$$eval('#school-list option', (os) => os.length), 117);

  // A link to a school of the default district still opens it, and the picker follows.
  await page.goto(server.base + '/?school=201', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.inputValue('#district'), '');
  assert.match(await page.textContent('#summary-title'), /Adams/);
  assert.deepEqual(errors, []);
});
