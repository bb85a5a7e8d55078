// Accessibility of every page in both languages, checked by axe-core (from
// npm) in real headless Chromium: no critical or serious violation of WCAG 2.x
// A/AA on the map (district view, a school with its list, a popup open, the
// print view), the registration page, the review page with its queue, and the
// gap analysis.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startServer, launch, addUser } from './harness.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let server, browser, editor;

before(async () => {
  server = await startServer({
    extra: {
      type: 'FeatureCollection',
      features: [{
        type: 'Feature', geometry: { type: 'Point', coordinates: [-122.3925, 47.6745] },
        properties: { id: 'a11y:1', name: 'Evening Pantry', category: 'food', opening_hours: 'Mo-Fr 16:00-20:00', languages: ['es'] },
      }],
    },
  });
  editor = addUser(server.dbUrl, 'editor', 'Reviewer');
  // Something in the review queue: a family's suggestion.
  await fetch(server.base + '/suggestions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'Feature', geometry: { type: 'Point', coordinates: [-122.39, 47.67] }, properties: { name: 'Corner library box', category: 'library', how_known: 'we walk by it' } }),
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The serious and critical violations axe finds on the page as it is now. */
async function audit(page) {
  // The page's CSP allows no inline script; the test context bypasses it to add axe.
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  return result.violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => v.id + ': ' + v.help + ' — ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
}

async function open(path, lang) {
  const context = await browser.newContext({ bypassCSP: true, locale: lang === 'es' ? 'es-ES' : 'en-US', viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.goto(server.base + path + (path.includes('?') ? '&' : '?') + 'lang=' + lang, { waitUntil: 'load' });
  return { page, context };
}

for (const lang of ['en', 'es']) {
  test(`the map page has no serious accessibility violation (${lang})`, async () => {
    const { page, context } = await open('/', lang);
    await page.waitForSelector('body[data-ready="true"]');
    assert.deepEqual(await audit(page), [], 'district view');

    await page.goto(server.base + '/?school=201&lang=' + lang, { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#list li');
    assert.deepEqual(await audit(page), [], 'a school with its list');

    const item = page.locator('#list li', { hasText: 'Evening Pantry' });
    await item.press('Enter');
    await page.waitForSelector('.leaflet-popup');
    assert.deepEqual(await audit(page), [], 'a popup open');

    await page.emulateMedia({ media: 'print' });
    assert.deepEqual(await audit(page), [], 'the print view');
    await context.close();
  });

  test(`the registration, review, gap and import pages have no serious accessibility violation (${lang})`, async () => {
    const reg = await open('/register', lang);
    await reg.page.waitForSelector('body[data-ready="true"]');
    assert.deepEqual(await audit(reg.page), [], 'registration');
    await reg.context.close();

    const review = await open('/moderate', lang);
    await review.page.waitForSelector('body[data-ready="true"]');
    await review.page.fill('#token', editor);
    await review.page.click('#login button[type="submit"]');
    await review.page.waitForSelector('.review-item');
    assert.deepEqual(await audit(review.page), [], 'review queue');
    await review.context.close();

    const gaps = await open('/gap-analysis?school=201', lang);
    await gaps.page.waitForSelector('body[data-ready="true"]');
    assert.deepEqual(await audit(gaps.page), [], 'gap analysis');
    await gaps.context.close();

    const imports = await open('/import', lang);
    await imports.page.waitForSelector('body[data-ready="true"]');
    await imports.page.fill('#token', editor);
    await imports.page.click('#login button[type="submit"]');
    await imports.page.waitForSelector('#upload:not([hidden])');
    await imports.page.setInputFiles('#file', { name: 'a.csv', mimeType: 'text/csv', buffer: Buffer.from('name,category,lon,lat\nA library,library,-122.36,47.72\n') });
    await imports.page.click('#file-form button[type="submit"]');
    await imports.page.waitForSelector('#report:not([hidden])');
    assert.deepEqual(await audit(imports.page), [], 'import page with a dry run');
    await imports.context.close();
  });
}
