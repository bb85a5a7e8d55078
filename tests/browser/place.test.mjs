// Placing a listing whose address could not be found, in headless Chromium:
// an import keeps it pending at a stand-in spot; on the review page it cannot
// be approved, a click on the map (or its latitude and longitude typed) says
// where it is, and saving places and publishes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launch, addUser } from './harness.mjs';

let server, browser, editor;

before(async () => {
  server = await startServer({
    setup: (dbUrl, run) => {
      const file = join(mkdtempSync(join(tmpdir(), 'assetmap-place-')), 'pantries.csv');
      writeFileSync(file, 'name,category,address\nPop-up Pantry,food,"1 Nowhere Lane, Seattle, WA 98199"\n');
      run(['import', 'assets', file]);
    },
  });
  editor = addUser(server.dbUrl, 'editor', 'Placing editor');
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function published() {
  const r = await fetch(server.base + '/collections/assets/items?q=' + encodeURIComponent('Pop-up Pantry'));
  return (await r.json()).features;
}

test('an editor places a listing the import could not place, and it is published', async () => {
  assert.deepEqual(await published(), [], 'pending, not on the map');
  const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.base + '/moderate', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  await page.fill('#token', editor);
  await page.click('#login button[type="submit"]');
  const item = page.locator('.review-item', { hasText: 'Pop-up Pantry' });
  await item.waitFor();
  assert.match(await item.textContent(), /could not be found on the map/);

  // Not approvable until placed.
  await item.getByRole('button', { name: 'Approve' }).click();
  await page.waitForFunction(() => /Could not approve/.test(document.querySelector('.review-item .result').textContent));
  assert.match(await item.locator('.result').textContent(), /could not be placed/);

  // A click on the map says where it is.
  const box = await item.locator('.review-map').boundingBox();
  await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.4);
  const lat = Number(await item.getByLabel('Latitude').inputValue());
  const lon = Number(await item.getByLabel('Longitude').inputValue());
  assert.ok(lat > 46 && lat < 49 && lon > -124 && lon < -121, `${lat}, ${lon}`);

  // Or typed, exactly; saving publishes it there.
  await item.getByLabel('Latitude').fill('47.6447');
  await item.getByLabel('Longitude').fill('-122.3937');
  await item.getByRole('button', { name: 'Save the place' }).click();
  await page.waitForFunction(() => /Placed on the map/.test(document.querySelector('.review-item .result').textContent));
  const [f] = await published();
  assert.deepEqual(f.geometry.coordinates, [-122.3937, 47.6447]);
  assert.equal(f.properties.location_needed, undefined);
  assert.equal(f.properties.geocode_quality, 'none');
  assert.deepEqual(errors, []);
});
