// The community-schools workflow in real headless Chromium against a real
// server on the Seattle demo: school staff record and log a partnership with
// the keyboard alone; a family suggests a missing asset with the keyboard
// alone and it goes through review to the map; the printed gap report (a PDF, read
// back with pdftotext) holds the school's gaps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launch, addUser, ARTIFACTS, ROOT } from './harness.mjs';

let server, browser, staff, editor;

before(async () => {
  server = await startServer();
  staff = addUser(server.dbUrl, 'school', 'Adams staff', ['--school', '201']);
  editor = addUser(server.dbUrl, 'editor', 'Editor');
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openPage(path) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
  page.on('dialog', (d) => d.accept());
  await page.goto(server.base + path, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  const tabTo = async (selector) => {
    for (let i = 0; i < 150; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
    }
    throw new Error('Tab never reached ' + selector);
  };
  return { page, errors, tabTo };
}

const asUser = async (token, path, init = {}) => {
  const r = await fetch(server.base + path, { ...init, headers: { Authorization: 'Bearer ' + token, ...(init.headers || {}) } });
  return r.json();
};

test('school staff record, edit and log a partnership with the keyboard alone', async () => {
  const { page, errors, tabTo } = await openPage('/?school=201');
  await tabTo('#staff-toggle');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'staff-token');
  await page.keyboard.type(staff);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#staff-out', { state: 'visible' });
  await page.waitForSelector('#partners-filter-box', { state: 'visible' });
  assert.equal(await page.locator('#staff-form').isVisible(), false, 'the sign-in form closes once signed in');
  assert.equal(await page.locator('#staff-toggle').isVisible(), false);
  // The token is kept in this tab only.
  assert.equal(await page.evaluate(() => sessionStorage.getItem('assetmap.staff-token')), staff);
  assert.equal(await page.evaluate(() => localStorage.length), 0);

  // From the list to the asset's partnership.
  await page.waitForFunction(() => document.querySelectorAll('#list li').length > 0);
  await tabTo('#list li');
  const assetName = await page.evaluate(() => document.activeElement.querySelector('strong').textContent);
  const assetId = await page.evaluate(() => document.activeElement.dataset.id);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#partnership', { state: 'visible' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'partnership-title');
  assert.equal(await page.textContent('#partnership-title'), 'Partnership with ' + assetName);

  await tabTo('#p-status');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.inputValue('#p-status'), 'active');
  await tabTo('#p-contact-name');
  await page.keyboard.type('Ana Ruiz');
  await tabTo('#p-contact-email');
  await page.keyboard.type('ana@example.org');
  await tabTo('#p-provides');
  await page.keyboard.type('Reading buddies after school');
  await tabTo('#p-pillar-extended_learning');
  await page.keyboard.press('Space');
  // Dates out of order: refused, the field named and marked.
  await tabTo('#p-start');
  await page.keyboard.type('06302027');
  await tabTo('#p-end');
  await page.keyboard.type('09012026');
  await tabTo('#partnership-form button[type="submit"]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /agreement_end/.test(document.querySelector('#p-message').textContent));
  assert.equal(await page.getAttribute('#p-end', 'aria-invalid'), 'true');
  let list = await asUser(staff, '/schools/201/partnerships');
  assert.equal(list.partnerships.length, 0, 'nothing is kept of a refused save');
  await page.fill('#p-end', '');
  await page.focus('#p-end');
  await tabTo('#partnership-form button[type="submit"]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#p-message').textContent === 'Saved.');

  // A log entry: markup is refused and named; plain text is kept and shown as text.
  await tabTo('#log-note');
  await page.keyboard.type('<img src=x onerror="window.__xss=1">');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /note/.test(document.querySelector('#p-message').textContent));
  await page.fill('#log-note', '');
  await page.focus('#log-note');
  await page.keyboard.type('Met the director; ages < 5 welcome & free');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#p-message').textContent === 'Added to the log.');
  assert.equal(await page.textContent('#p-log li p'), 'Met the director; ages < 5 welcome & free');
  assert.equal(await page.evaluate(() => window.__xss), undefined);

  list = await asUser(staff, '/schools/201/partnerships');
  assert.equal(list.partnerships.length, 1);
  const p = list.partnerships[0];
  assert.equal(p.asset_id, assetId);
  assert.equal(p.status, 'active');
  assert.equal(p.contact.name, 'Ana Ruiz');
  assert.equal(p.provides, 'Reading buddies after school');
  assert.deepEqual(p.pillars, ['extended_learning']);
  assert.equal(p.log[0].note, 'Met the director; ages < 5 welcome & free');

  // Back to the list with Escape; the partner is marked in the list and on the map.
  await page.keyboard.press('Escape');
  await page.waitForSelector('#partnership', { state: 'hidden' });
  await page.waitForFunction((id) => document.activeElement.dataset.id === id, assetId);
  assert.match(await page.textContent(`#list li[data-id="${assetId}"]`), /Partner: active/);
  await tabTo('#partners-filter');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.querySelectorAll('#list li').length === 1);
  assert.equal(new URL(page.url()).searchParams.get('partners'), 'yes');
  assert.equal(await page.locator('.partner-icon').count(), 1);
  await page.screenshot({ path: join(ARTIFACTS, 'partnership.png') });
  assert.deepEqual(errors, []);
  await page.close();

  // Marked public, the partner shows on the public map: name and provision only.
  const r = await fetch(server.base + '/schools/201/partnerships/' + p.id, {
    method: 'PATCH', headers: { Authorization: 'Bearer ' + staff, 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ public: true }),
  });
  assert.equal(r.status, 200);
  const { page: pub, errors: pubErrors } = await openPage('/?school=201');
  assert.equal(await pub.evaluate(() => sessionStorage.length), 0, 'a new tab is not signed in');
  await pub.waitForFunction((id) => /Partner of the school/.test(document.querySelector(`#list li[data-id="${id}"]`)?.textContent || ''), assetId);
  await pub.click(`#list li[data-id="${assetId}"]`);
  await pub.waitForSelector('.leaflet-popup-content');
  const popupText = await pub.textContent('.leaflet-popup-content');
  assert.match(popupText, /provides: Reading buddies after school/);
  assert.ok(!popupText.includes('Ana Ruiz') && !popupText.includes('Record a partnership'));
  assert.equal(await pub.locator('#staff-out').isVisible(), false);
  assert.deepEqual(pubErrors, []);
  await pub.close();
});

test('a family suggests a missing asset with the keyboard alone; it goes through review to the map', async () => {
  const { page, errors, tabTo } = await openPage('/?school=201');
  await tabTo('#suggest-open');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#suggest[open]');
  assert.equal(await page.evaluate(() => document.activeElement.id), 's-name');
  await page.keyboard.type('Tía Rosa Tutoring Circle');
  await tabTo('#s-category');
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowUp'); // the last but one: business; "other" is last
  const category = await page.inputValue('#s-category');
  // The place starts at the campus; the family moves it a little by typing.
  await tabTo('#s-lat');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('47.6751');
  await tabTo('#s-how');
  await page.keyboard.type('My children go there on Saturdays');
  await tabTo('#s-contact');
  await page.keyboard.type('rosa.family@example.org');
  // The honeypot is never in the way.
  await tabTo('#suggest-form button[type="submit"]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /Thank you/.test(document.querySelector('#status').textContent));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'suggest-open');

  const queue = await asUser(editor, '/review');
  const item = queue.items.find((i) => i.proposed.properties.name === 'Tía Rosa Tutoring Circle');
  assert.ok(item, 'the suggestion is in the review queue');
  assert.equal(item.kind, 'family suggestion');
  assert.equal(item.suggestion.contact, 'rosa.family@example.org');
  assert.equal(item.proposed.properties.category, category);
  assert.ok(Math.abs(item.proposed.geometry.coordinates[1] - 47.6751) < 1e-9);
  const pub = await (await fetch(server.base + '/collections/assets/items?q=Rosa&limit=10')).json();
  assert.equal(pub.numberMatched, 0, 'not public before review');
  assert.deepEqual(errors, []);
  await page.close();

  // The reviewer sees it as a family's suggestion, with the contact, and approves it.
  const review = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  await review.goto(server.base + '/moderate', { waitUntil: 'load' });
  await review.waitForSelector('body[data-ready="true"]');
  await review.fill('#token', editor);
  await review.press('#token', 'Enter');
  const entry = review.locator('.review-item', { hasText: 'Tía Rosa Tutoring Circle' });
  await entry.waitFor();
  assert.match(await entry.textContent(), /family suggestion/);
  assert.match(await entry.textContent(), /rosa\.family@example\.org/);
  await entry.locator('button', { hasText: 'Approve' }).focus();
  await review.keyboard.press('Enter');
  await entry.locator('.result', { hasText: 'Approved' }).waitFor();
  await review.close();

  // On the map now, without the family's contact.
  const after = await (await fetch(server.base + '/collections/assets/items?q=Rosa&limit=10')).json();
  assert.equal(after.numberMatched, 1);
  assert.ok(!JSON.stringify(after).includes('rosa.family'));
  const { page: map } = await openPage('/?school=201&q=Rosa');
  await map.waitForFunction(() => document.querySelectorAll('#list li').length === 1);
  assert.match(await map.textContent('#list li'), /Tía Rosa Tutoring Circle/);
  await map.close();
});

test('the printed gap report holds the school\'s gaps, tables and partners', async () => {
  const want = await (await fetch(server.base + '/schools/201/gaps')).json();
  assert.ok(want.analysis.gaps.length > 0);
  // The first test made its partnership public: the report names that partner.
  assert.equal(want.analysis.partners.length, 1);
  const { page, errors } = await openPage('/?school=201');
  // The map page links to the report of the school open.
  await page.click('#gap-link');
  await page.waitForURL(/\/gap-analysis\?school=201/);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 5000 }).catch(async (e) => {
    throw new Error('the report did not load: ' + await page.textContent('#status') + ' ' + errors.join('; ') + ' ' + e.message);
  });
  assert.match(await page.textContent('#report-title'), /Gap analysis: Adams/);
  assert.equal(await page.locator('#all-gaps li').count(), want.analysis.gaps.length);
  assert.equal(await page.locator('#pillars h3').count(), 4);
  await page.screenshot({ path: join(ARTIFACTS, 'gap-analysis.png'), fullPage: false });
  if (process.env.ASSETMAP_SCREENSHOTS) {
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    copyFileSync(join(ARTIFACTS, 'gap-analysis.png'), join(ROOT, 'docs', 'gap-analysis.png'));
  }
  await page.emulateMedia({ media: 'print' });
  await page.waitForTimeout(200);
  const pdf = join(ARTIFACTS, 'gap-report.pdf');
  await page.pdf({ path: pdf, format: 'Letter' });
  const text = execFileSync('pdftotext', [pdf, '-']).toString().replace(/\s+/g, ' ');
  assert.match(text, /Gap analysis: Adams/);
  assert.match(text, /Prepared [A-Z][a-z]+ \d+, \d{4}/);
  for (const g of want.analysis.gaps) assert.ok(text.includes(g), 'the PDF holds: ' + g);
  for (const p of want.analysis.pillars) assert.ok(text.includes(p.label), 'the PDF has the table of ' + p.label);
  for (const p of want.analysis.partners) assert.ok(text.includes(p.name) && text.includes(p.provides), 'the PDF names the partner ' + p.name);
  assert.deepEqual(errors, []);
  await page.close();
});
