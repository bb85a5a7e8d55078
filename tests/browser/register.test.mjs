// The registration and review pages in headless Chromium: an organization
// signs up and submits a location with the keyboard alone; an editor reviews,
// and a listing named with markup shows as text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, launch, addUser, ARTIFACTS } from './harness.mjs';

const XSS = '<img src=x onerror="window.__xss=1">';
let server, browser, editor;

before(async () => {
  // A pending listing named with markup, as an import from a file could bring.
  server = await startServer({
    extra: {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [-122.3905, 47.6745] },
        properties: { id: 'test:markup', name: XSS, category: 'library', status: 'pending', address: '<b>1 Test Way</b>' } }],
    },
  });
  editor = addUser(server.dbUrl, 'editor', 'Browser editor');
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function tabTo(page, selector) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
  }
  throw new Error('Tab never reached ' + selector);
}

test('an organization registers and submits a location with the keyboard alone', async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  await page.goto(server.base + '/register', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  await tabTo(page, '#org-name');
  await page.keyboard.type('Ballard Youth Collective');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Sam Lee');
  await page.keyboard.press('Tab');
  await page.keyboard.type('sam@example.org');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#signup-status .token');
  const token = await page.textContent('#signup-status .token');
  assert.match(token, /^am_[0-9a-f]{64}$/);
  // The page moves focus to the listing form.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'l-name');
  await page.keyboard.type('Ballard Youth Drop-in');
  await tabTo(page, '#l-category');
  await page.keyboard.type('Youth');
  await tabTo(page, '#l-lat');
  await page.keyboard.type('47.6745');
  await page.keyboard.press('Tab');
  await page.keyboard.type('-122.3890');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /waiting for review/.test(document.querySelector('#listing-status').textContent));
  await page.waitForFunction(() => /waiting for review/.test(document.querySelector('#mine').textContent));
  await page.screenshot({ path: join(ARTIFACTS, 'register.png') });
  // Pending: in the editors' queue, not on the public map.
  const queue = await (await fetch(server.base + '/review', { headers: { Authorization: 'Bearer ' + editor } })).json();
  const mine = queue.items.find((i) => i.proposed.properties.name === 'Ballard Youth Drop-in');
  assert.ok(mine, 'the listing is in the review queue');
  assert.equal(mine.proposed.properties.category, 'youth_programs');
  const pub = await (await fetch(server.base + '/collections/assets/items?q=Youth%20Drop-in')).json();
  assert.equal(pub.numberMatched, 0);
  await page.close();
});

test('the review page shows markup as text and publishes on approval', async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  await page.goto(server.base + '/moderate', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  await tabTo(page, '#token');
  await page.keyboard.type(editor);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.review-item');
  const markup = page.locator('.review-item', { hasText: XSS });
  assert.equal(await markup.count(), 1, 'the listing named with markup is shown as text');
  assert.equal(await page.locator('.review-item h2 img, .review-item td b').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await page.screenshot({ path: join(ARTIFACTS, 'review.png') });
  // Approve the organization's listing with the keyboard.
  const item = page.locator('.review-item', { hasText: 'Ballard Youth Drop-in' });
  await item.locator('button', { hasText: 'Approve' }).focus();
  await page.keyboard.press('Enter');
  await item.locator('.result', { hasText: 'Approved' }).waitFor();
  const pub = await (await fetch(server.base + '/collections/assets/items?q=Youth%20Drop-in')).json();
  assert.equal(pub.numberMatched, 1);
  // Rejecting needs a reason.
  await markup.locator('button', { hasText: 'Reject' }).click();
  await markup.locator('.result', { hasText: 'Give a reason' }).waitFor();
  await markup.locator('input').fill('Not a real place');
  await markup.locator('button', { hasText: 'Reject' }).click();
  await markup.locator('.result', { hasText: 'Rejected' }).waitFor();
  await page.close();
});
