// Registration page: sign up, then place and describe a location, submit it for
// review, and follow its status. Text from data is set with textContent only.

import { $, el, ready } from './dom.js';
import { send, problemText, config, categories, tiles } from './api.js';
import { initI18n, t, lang, languageName } from './i18n.js';

// The languages families in the district speak most, offered for translations.
const TRANSLATION_LANGUAGES = ['es', 'zh', 'vi', 'tl', 'ko', 'so', 'am', 'ru', 'ar', 'en'];

const token = () => $('token').value.trim();

// The form's field for each property a problem may name.
const FIELDS = {
  'properties.name': 'l-name', 'properties.category': 'l-category', 'properties.address': 'l-address',
  'properties.phone': 'l-phone', 'properties.website': 'l-website', 'properties.hours': 'l-hours',
  'properties.opening_hours': 'l-opening-hours', 'properties.description': 'l-description',
  'properties.languages': 'l-languages', 'geometry': 'l-lat',
};

/** A language picker for one translation block. */
function fillLanguages(select) {
  for (const code of TRANSLATION_LANGUAGES) select.appendChild(el('option', languageName(code))).value = code;
  select.value = lang === 'en' ? 'es' : 'en';
}

/** Another translation block, numbered `n`. */
function addTranslation(n) {
  const first = document.querySelector('#translations .translation');
  const block = first.cloneNode(true);
  for (const e of block.querySelectorAll('[id]')) e.id = e.id.replace(/-\d+$/, '-' + n);
  for (const l of block.querySelectorAll('label')) l.htmlFor = l.htmlFor.replace(/-\d+$/, '-' + n);
  for (const i of block.querySelectorAll('input, textarea')) i.value = '';
  const select = block.querySelector('select');
  select.replaceChildren();
  fillLanguages(select);
  $('tr-add').before(block);
  select.focus();
}

/** The translations the form holds, as the API takes them. */
function translations() {
  const out = {};
  for (const b of document.querySelectorAll('#translations .translation')) {
    const v = (cls) => b.querySelector(cls).value.trim();
    const tr = {};
    if (v('.tr-name')) tr.name = v('.tr-name');
    if (v('.tr-description')) tr.description = v('.tr-description');
    if (v('.tr-hours')) tr.hours = v('.tr-hours');
    if (Object.keys(tr).length) out[v('.tr-lang')] = tr;
  }
  return out;
}
const mine = () => JSON.parse(localStorage.getItem('assetmap.mine') || '[]');

function showProblems(problem) {
  const list = $('problems');
  list.replaceChildren();
  document.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
  for (const e of (problem && problem.errors) || []) {
    list.appendChild(el('li', e.name + ': ' + e.detail));
    const field = FIELDS[e.name];
    if (field && $(field)) $(field).setAttribute('aria-invalid', 'true');
  }
}

async function refreshMine() {
  const list = $('mine');
  list.replaceChildren();
  for (const item of mine()) {
    const li = el('li');
    li.appendChild(el('strong', item.name));
    const r = token() ? await send('GET', '/collections/assets/items/' + item.id + '/history', undefined, token()) : null;
    const last = r && r.ok && r.data.history.length ? r.data.history[r.data.history.length - 1] : null;
    const known = ['submitted', 'approved', 'revision submitted', 'rejected', 'updated'];
    const word = (a) => (known.includes(a) ? t('register.status.' + a.replace(' ', '_')) : a);
    const status = last ? word(last.action) + (last.changes && last.changes.reason ? ': ' + last.changes.reason : '') : t('register.status.unknown');
    li.appendChild(el('span', ' — ' + status, 'status'));
    list.appendChild(li);
  }
}

async function start() {
  await initI18n();
  $('token').value = sessionStorage.getItem('assetmap.token') || '';
  fillLanguages($('tr-lang-0'));
  let blocks = 1;
  $('tr-add').addEventListener('click', () => addTranslation(blocks++));
  const cats = await categories(lang);
  for (const c of cats.categories) { const o = el('option', c.label); o.value = c.id; $('l-category').appendChild(o); }

  const map = L.map('pin-map').setView([47.61, -122.33], 11);
  config().then((c) => tiles(c).addTo(map));
  let pin = null;
  const place = (lat, lon, fromMap) => {
    if (!pin) pin = L.marker([lat, lon], { draggable: true, keyboard: false }).addTo(map).on('dragend', () => { const p = pin.getLatLng(); place(p.lat, p.lng, true); });
    pin.setLatLng([lat, lon]);
    if (fromMap) { $('l-lat').value = lat.toFixed(6); $('l-lon').value = lon.toFixed(6); } else { map.setView([lat, lon], 16); }
  };
  map.on('click', (e) => place(e.latlng.lat, e.latlng.lng, true));
  const typed = () => { const lat = Number($('l-lat').value), lon = Number($('l-lon').value); if (Number.isFinite(lat) && Number.isFinite(lon) && $('l-lat').value && $('l-lon').value) place(lat, lon, false); };
  $('l-lat').addEventListener('change', typed);
  $('l-lon').addEventListener('change', typed);

  $('token').addEventListener('change', () => { sessionStorage.setItem('assetmap.token', token()); refreshMine(); });

  $('signup').addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { name: $('org-name').value, contact_name: $('org-contact').value, email: $('org-email').value };
    if ($('org-phone').value) body.phone = $('org-phone').value;
    if ($('org-website').value) body.website = $('org-website').value;
    const r = await send('POST', '/organizations', body);
    const status = $('signup-status');
    status.replaceChildren();
    if (!r.ok) { status.textContent = t('register.signup.failed', { problem: problemText(r) }); return; }
    $('token').value = r.data.token;
    sessionStorage.setItem('assetmap.token', r.data.token);
    status.appendChild(el('span', t('register.signed_up') + ' '));
    status.appendChild(el('span', r.data.token, 'token'));
    $('l-name').focus();
  });

  $('listing').addEventListener('submit', async (e) => {
    e.preventDefault();
    const properties = { name: $('l-name').value, category: $('l-category').value };
    for (const [k, id] of [['address', 'l-address'], ['phone', 'l-phone'], ['website', 'l-website'], ['hours', 'l-hours'],
      ['opening_hours', 'l-opening-hours'], ['description', 'l-description']]) if ($(id).value.trim()) properties[k] = $(id).value.trim();
    const tr = translations();
    if (Object.keys(tr).length) properties.translations = tr;
    const langs = $('l-languages').value.split(',').map((s) => s.trim()).filter(Boolean);
    if (langs.length) properties.languages = langs;
    const feature = { type: 'Feature', geometry: { type: 'Point', coordinates: [Number($('l-lon').value), Number($('l-lat').value)] }, properties };
    const r = await send('POST', '/collections/assets/items', feature, token());
    showProblems(r.ok ? null : r.data);
    if (!r.ok) { $('listing-status').textContent = t('register.failed', { problem: problemText(r) }); return; }
    localStorage.setItem('assetmap.mine', JSON.stringify(mine().concat([{ id: r.data.id, name: r.data.properties.name }])));
    $('listing-status').textContent = t('register.submitted', { name: r.data.properties.name });
    refreshMine();
  });
  refreshMine();
  ready();
}
start().catch((e) => { $('signup-status').textContent = t('page.failed', { problem: e.message }); });
