// The import page in headless Chromium: an editor uploads a spreadsheet-like
// CSV of assets, maps its columns (the name is in "Site"), sees the dry run's
// report and the rows on the map, imports it (a row without coordinates is
// refused until partial imports are allowed), finds the import in the list
// and undoes it; the map's API follows each step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, launch, addUser, ARTIFACTS } from './harness.mjs';

let server, browser, editor;

const CSV = [
  'Site,Kind,lon,lat,address',
  'Broadview Library,library,-122.3604,47.7206,12755 Greenwood Ave N',
  'Greenwood Senior Center,community_centre,-122.3556,47.6929,525 N 85th St',
  'A place with no coordinates or address,park,,,',
].join('\n') + '\n';

before(async () => {
  server = await startServer();
  editor = addUser(server.dbUrl, 'editor', 'Browser importer');
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function named(name) {
  const r = await fetch(server.base + '/collections/assets/items?limit=10&q=' + encodeURIComponent(name));
  const page = await r.json();
  return page.features.filter((f) => f.properties.name === name).length;
}

test('an editor checks, maps, imports and undoes a file on the import page', async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.base + '/import', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  await page.fill('#token', editor);
  await page.click('#login button[type="submit"]');
  await page.waitForSelector('#upload:not([hidden])');

  await page.setInputFiles('#file', { name: 'greenwood.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
  await page.selectOption('#kind', 'assets');
  await page.click('#file-form button[type="submit"]');
  // Without a "name" column nothing can be read: the report says so.
  await page.waitForSelector('#report:not([hidden])');
  assert.match(await page.textContent('#summary'), /3 rows read as CSV.*0 can be imported, 3 cannot/);
  assert.equal(await page.isDisabled('#do-import'), true);

  // Map the columns: the name is in "Site", the category in "Kind".
  await page.selectOption('#map-name_field', 'Site');
  await page.selectOption('#map-category_field', 'Kind');
  await page.click('#columns-form button[type="submit"]');
  await page.waitForFunction(() => /2 can be imported, 1 cannot/.test(document.getElementById('summary').textContent));
  assert.match(await page.textContent('#skipped'), /row 4: null geometry/);
  assert.equal(await page.locator('#preview-map path.leaflet-interactive').count(), 2, 'the two rows on the map');
  assert.equal(await page.getAttribute('#progress', 'value'), '100');
  assert.equal(await named('Broadview Library'), 0, 'a dry run writes nothing');

  // The whole file is refused while a row cannot be imported…
  await page.click('#do-import');
  await page.waitForFunction(() => /Not done/.test(document.getElementById('result').textContent));
  assert.match(await page.textContent('#result'), /1 rows of greenwood.csv cannot be imported/);
  assert.equal(await named('Broadview Library'), 0);
  // …and goes in when the other rows may.
  await page.check('#allow_partial');
  await page.click('#do-import');
  await page.waitForFunction(() => /Imported/.test(document.getElementById('result').textContent));
  assert.match(await page.textContent('#result'), /2 added, 0 changed, 0 unchanged, 1 skipped/);
  assert.equal(await named('Broadview Library'), 1, 'on the map at once');
  await page.screenshot({ path: join(ARTIFACTS, 'import-page.png'), fullPage: true });

  // The list of imports, and undo.
  const row = page.locator('#imports tbody tr', { hasText: 'greenwood.csv' });
  assert.match(await row.textContent(), /Browser importer/);
  await row.getByRole('button', { name: 'Undo the import of greenwood.csv' }).click();
  await page.waitForFunction(() => /was undone/.test(document.getElementById('undo-result').textContent));
  assert.match(await page.textContent('#undo-result'), /2 deleted, 0 put back, 0 left/);
  assert.equal(await named('Broadview Library'), 0, 'gone from the map');
  assert.match(await page.locator('#imports tbody tr', { hasText: 'greenwood.csv' }).textContent(), /Undone on/);
  assert.deepEqual(errors, []);
});
