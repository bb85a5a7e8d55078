// Registration page: sign up, then place and describe a location, submit it for
// review, and follow its status. Text from data is set with textContent only.

import { $, el, ready } from './dom.js';
import { send, problemText, config, categories, tiles } from './api.js';

const token = () => $('token').value.trim();
const mine = () => JSON.parse(localStorage.getItem('assetmap.mine') || '[]');

function showProblems(problem) {
  const list = $('problems');
  list.replaceChildren();
  for (const e of (problem && problem.errors) || []) list.appendChild(el('li', e.name + ': ' + e.detail));
}

async function refreshMine() {
  const list = $('mine');
  list.replaceChildren();
  for (const item of mine()) {
    const li = el('li');
    li.appendChild(el('strong', item.name));
    const r = token() ? await send('GET', '/collections/assets/items/' + item.id + '/history', undefined, token()) : null;
    const last = r && r.ok && r.data.history.length ? r.data.history[r.data.history.length - 1] : null;
    const words = { submitted: 'waiting for review', approved: 'published', 'revision submitted': 'change waiting for review', rejected: 'not accepted', updated: 'updated' };
    const status = last ? (words[last.action] || last.action) + (last.changes && last.changes.reason ? ': ' + last.changes.reason : '') : 'unknown';
    li.appendChild(el('span', ' — ' + status, 'status'));
    list.appendChild(li);
  }
}

async function start() {
  $('token').value = sessionStorage.getItem('assetmap.token') || '';
  const cats = await categories();
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
    if (!r.ok) { status.textContent = 'Could not sign up: ' + problemText(r); return; }
    $('token').value = r.data.token;
    sessionStorage.setItem('assetmap.token', r.data.token);
    status.appendChild(el('span', 'Signed up. Keep your token, shown only once: '));
    status.appendChild(el('span', r.data.token, 'token'));
    $('l-name').focus();
  });

  $('listing').addEventListener('submit', async (e) => {
    e.preventDefault();
    const properties = { name: $('l-name').value, category: $('l-category').value };
    for (const [k, id] of [['address', 'l-address'], ['phone', 'l-phone'], ['website', 'l-website'], ['hours', 'l-hours']]) if ($(id).value) properties[k] = $(id).value;
    const langs = $('l-languages').value.split(',').map((s) => s.trim()).filter(Boolean);
    if (langs.length) properties.languages = langs;
    const feature = { type: 'Feature', geometry: { type: 'Point', coordinates: [Number($('l-lon').value), Number($('l-lat').value)] }, properties };
    const r = await send('POST', '/collections/assets/items', feature, token());
    showProblems(r.ok ? null : r.data);
    if (!r.ok) { $('listing-status').textContent = 'Not submitted: ' + problemText(r); return; }
    localStorage.setItem('assetmap.mine', JSON.stringify(mine().concat([{ id: r.data.id, name: r.data.properties.name }])));
    $('listing-status').textContent = 'Submitted: ' + r.data.properties.name + ' is waiting for review.';
    refreshMine();
  });
  refreshMine();
  ready();
}
start().catch((e) => { $('signup-status').textContent = 'Could not load the page: ' + e.message; });
