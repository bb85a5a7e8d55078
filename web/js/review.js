// Review page: the queue (organizations' listings and families' suggestions)
// with each listing's diff, possible duplicates on a
// small map, and approve/reject. Text from data is set with textContent only.

import { $, el, show, ready } from './dom.js';
import { getJSON, send, problemText, config, tiles } from './api.js';
import { initI18n, t, distance } from './i18n.js';

const token = () => $('token').value.trim();
const call = (method, url, body) => send(method, url, body, token());

function item(entry) {
  const li = el('li', null, 'review-item');
  const p = entry.proposed.properties;
  li.appendChild(el('h2', p.name));
  li.appendChild(el('p', t('review.kind.' + entry.kind.replace(/ /g, '_')) + ' · ' + p.category, 'meta'));
  // A family's suggestion: how they know the place, and who to ask back (for
  // the reviewer only; never published).
  if (entry.suggestion) {
    const s = entry.suggestion;
    li.appendChild(el('p', t('review.how_known', { how: s.how_known || t('review.not_said') })));
    li.appendChild(el('p', t('review.contact', { contact: s.contact || t('review.none_given') })));
  }
  const table = el('table');
  const head = table.appendChild(el('thead')).appendChild(el('tr'));
  for (const h of ['review.field', 'review.now', 'review.proposed']) head.appendChild(el('th', t(h))).scope = 'col';
  const body = table.appendChild(el('tbody'));
  for (const d of entry.diff) {
    const tr = body.appendChild(el('tr'));
    tr.appendChild(el('th', d.field)).scope = 'row';
    tr.appendChild(el('td', show(d.old)));
    tr.appendChild(el('td', show(d.new)));
  }
  li.appendChild(table);
  const dups = entry.possible_duplicates;
  li.appendChild(el('p', dups.length ? t('review.duplicates', { list: dups.map((d) => d.name + ' (' + distance(d.distance_m) + ')').join(', ') }) : t('review.no_duplicates')));
  const mapDiv = li.appendChild(el('div', null, 'review-map'));
  mapDiv.setAttribute('role', 'region');
  mapDiv.setAttribute('aria-label', t('review.map'));
  const actions = li.appendChild(el('div', null, 'actions'));
  const approve = actions.appendChild(el('button', t('review.approve')));
  approve.type = 'button';
  const label = actions.appendChild(el('label', t('review.reason')));
  const reason = actions.appendChild(el('input'));
  reason.id = 'reason-' + entry.asset_id;
  label.htmlFor = reason.id;
  const reject = actions.appendChild(el('button', t('review.reject')));
  reject.type = 'button';
  const result = li.appendChild(el('p', null, 'result'));
  result.setAttribute('role', 'status');
  approve.addEventListener('click', async () => {
    // The version shown: if the listing changed since, the approval is refused.
    const r = await call('POST', '/review/' + entry.asset_id + '/approve', { version: entry.version });
    result.textContent = r.ok ? t('review.approved') : t('review.approve_failed', { problem: problemText(r) });
  });
  reject.addEventListener('click', async () => {
    if (!reason.value.trim()) { result.textContent = t('review.reason_needed'); reason.focus(); return; }
    const r = await call('POST', '/review/' + entry.asset_id + '/reject', { reason: reason.value, version: entry.version });
    result.textContent = r.ok ? t('review.rejected') : t('review.reject_failed', { problem: problemText(r) });
  });
  // An imported listing whose address could not be found waits to be placed:
  // click the map where it is (or type its latitude and longitude), then save;
  // saving places and publishes it.
  let place = null;
  if (p.location_needed === true) {
    li.insertBefore(el('p', t('review.place_needed'), 'error'), mapDiv);
    const form = el('div', null, 'actions place');
    const inputs = {};
    for (const k of ['lat', 'lon']) {
      const label = form.appendChild(el('label', t('review.place_' + k)));
      const input = form.appendChild(el('input'));
      input.id = k + '-' + entry.asset_id;
      input.inputMode = 'decimal';
      label.htmlFor = input.id;
      inputs[k] = input;
    }
    const save = form.appendChild(el('button', t('review.place_save')));
    save.type = 'button';
    li.insertBefore(form, mapDiv.nextSibling);
    save.addEventListener('click', async () => {
      const lat = Number(inputs.lat.value), lon = Number(inputs.lon.value);
      if (!inputs.lat.value.trim() || !inputs.lon.value.trim() || !Number.isFinite(lat) || !Number.isFinite(lon)) {
        result.textContent = t('review.place_missing');
        inputs.lat.focus();
        return;
      }
      const r = await call('PATCH', '/collections/assets/items/' + entry.asset_id, { geometry: { type: 'Point', coordinates: [lon, lat] } });
      result.textContent = r.ok ? t('review.placed') : t('review.approve_failed', { problem: problemText(r) });
    });
    place = inputs;
  }
  return { li, mapDiv, entry, place };
}

async function load() {
  const r = await call('GET', '/review');
  const queue = $('queue');
  queue.replaceChildren();
  if (!r.ok) { $('status').textContent = r.status === 401 ? t('review.bad_token') : t('review.not_allowed', { problem: problemText(r) }); return; }
  $('status').textContent = t('review.waiting', { n: r.data.items.length });
  const cfg = await config();
  for (const entry of r.data.items) {
    const { li, mapDiv, place } = item(entry);
    queue.appendChild(li);
    const [lon, lat] = entry.proposed.geometry.coordinates;
    const map = L.map(mapDiv, { zoomControl: false, keyboard: false }).setView([lat, lon], 17);
    tiles(cfg).addTo(map);
    const marker = L.circleMarker([lat, lon], { radius: 7, color: '#b35900' }).addTo(map).bindTooltip(() => el('span', entry.proposed.properties.name));
    if (place) {
      // Where it stands is a stand-in: show the district around it, and let a
      // click say where it is.
      map.setZoom(13);
      map.on('click', (e) => {
        marker.setLatLng(e.latlng);
        place.lat.value = e.latlng.lat.toFixed(6);
        place.lon.value = e.latlng.lng.toFixed(6);
      });
    }
    for (const d of entry.possible_duplicates) {
      getJSON('/collections/assets/items/' + d.id).then((f) => {
        const [dl, dt] = f.geometry.coordinates;
        L.circleMarker([dt, dl], { radius: 6, color: '#12355b' }).addTo(map).bindTooltip(() => el('span', f.properties.name));
      });
    }
  }
}

async function start() {
  await initI18n();
  $('login').addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem('assetmap.editor', token()); load().catch((x) => { $('status').textContent = x.message; }); });
  $('token').value = sessionStorage.getItem('assetmap.editor') || '';
  ready();
}
start();
