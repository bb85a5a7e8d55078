// Lighthouse (from npm) scores the accessibility of every page, in English
// and Spanish, in Debian's headless Chromium: at least 95 each. Lighthouse
// audits a page as it loads (a school's map with its list open by URL, the
// registration page, the review page, the gap analysis); axe-core covers the
// states that need interaction (accessibility.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';
import { startServer } from './harness.mjs';

let server, chrome;

before(async () => {
  server = await startServer();
  chrome = await chromeLauncher.launch({
    chromePath: process.env.CHROMIUM || '/usr/bin/chromium',
    chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await chrome?.kill();
  await server?.stop();
});

const PAGES = ['/?school=201', '/register', '/moderate', '/gap-analysis?school=201'];

for (const lang of ['en', 'es']) {
  test(`Lighthouse accessibility is at least 95 on every page (${lang})`, async (t) => {
    const scores = {};
    const failing = {};
    for (const path of PAGES) {
      const url = server.base + path + (path.includes('?') ? '&' : '?') + 'lang=' + lang;
      const result = await lighthouse(url, {
        port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['accessibility'],
        formFactor: 'desktop', screenEmulation: { mobile: false, width: 1280, height: 860, deviceScaleFactor: 1, disabled: false },
      });
      const lhr = result.lhr;
      assert.equal(lhr.runtimeError, undefined, JSON.stringify(lhr.runtimeError));
      scores[path] = Math.round(lhr.categories.accessibility.score * 100);
      failing[path] = Object.values(lhr.audits).filter((a) => a.score === 0 && a.scoreDisplayMode === 'binary').map((a) => a.id);
    }
    t.diagnostic('scores: ' + JSON.stringify(scores) + ' failing: ' + JSON.stringify(failing));
    for (const path of PAGES) assert.ok(scores[path] >= 95, `${path}: ${scores[path]} (failing: ${failing[path].join(', ')})`);
  });
}
