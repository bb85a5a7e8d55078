// Import page: an editor uploads a district's file, says what it holds and
// which columns mean what, sees the dry run (the report and the first rows on
// a map), imports it, and can undo any import from the list. Text from data is
// set with textContent only.

import { $, el, ready } from './dom.js';
import { send, problemText, config, tiles } from './api.js';
import { initI18n, t, date } from './i18n.js';

const token = () => $('token').value.trim();

/** The columns each kind maps, with the default the server uses. */
const FIELDS = {
  assets: [['name_field', 'name'], ['category_field', 'category'], ['id_field', ''], ['lon_field', ''], ['lat_field', '']],
  schools: [['name_field', ''], ['id_field', ''], ['level_field', ''], ['lon_field', ''], ['lat_field', '']],
  catchments: [['school_field', ''], ['school_name_field', '']],
};

let columns = [];
let map = null;
let layer = null;

/** Uploads the file with the query; the progress bar follows the upload. */
function upload(query, file) {
  const bar = $('progress');
  bar.hidden = false;
  bar.value = 0;
  return new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open('POST', '/imports?' + query);
    x.setRequestHeader('Authorization', 'Bearer ' + token());
    x.setRequestHeader('Content-Type', 'application/octet-stream');
    x.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total); };
    x.onload = () => {
      bar.value = 100;
      let data = null;
      try { data = JSON.parse(x.responseText); } catch { data = null; }
      resolve({ ok: x.status >= 200 && x.status < 300, status: x.status, data });
    };
    x.onerror = () => resolve({ ok: false, status: 0, data: null });
    x.send(file);
  });
}

/** The query of the current choices. */
function query(extra) {
  const file = $('file').files[0];
  const kind = $('kind').value;
  const q = new URLSearchParams({ kind, file: file.name });
  if ($('source_crs').value.trim()) q.set('source_crs', $('source_crs').value.trim());
  if (kind !== 'assets' && $('district').value.trim()) q.set('district', $('district').value.trim());
  for (const [name] of FIELDS[kind]) {
    const s = $('map-' + name);
    if (s && s.value) q.set(name, s.value);
  }
  const year = $('map-year');
  if (kind === 'catchments' && year) q.set('year', year.value.trim());
  for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
  return q.toString();
}

/** A guess of the column meant for a field: the same name, any case. */
function guess(name, fallback) {
  const wanted = { name_field: ['name', 'school_name', 'site_name'], category_field: ['category', 'type'], id_field: ['id', 'school_id', 'schoolid'], level_field: ['level', 'grades'], school_field: ['school_id', 'schoolid', 'es_sch'], school_name_field: ['school', 'school_name'] }[name] || [];
  const found = columns.find((c) => wanted.includes(c.toLowerCase()));
  return found || fallback;
}

/** The column selects for the kind chosen. */
function mappingForm() {
  const kind = $('kind').value;
  const form = $('columns-form');
  const before = {};
  for (const s of form.querySelectorAll('select,input')) before[s.id] = s.value;
  form.replaceChildren();
  for (const [name, fallback] of FIELDS[kind]) {
    const label = form.appendChild(el('label', t('import.field.' + name)));
    label.htmlFor = 'map-' + name;
    const select = form.appendChild(el('select'));
    select.id = 'map-' + name;
    select.appendChild(el('option', fallback ? t('import.default', { name: fallback }) : t('import.none'))).value = '';
    for (const c of columns) select.appendChild(el('option', c)).value = c;
    select.value = before[select.id] ?? (columns.includes(guess(name, '')) ? guess(name, '') : '');
  }
  if (kind === 'catchments') {
    const label = form.appendChild(el('label', t('import.field.year')));
    label.htmlFor = 'map-year';
    const year = form.appendChild(el('input'));
    year.id = 'map-year';
    year.placeholder = '2024-25';
    year.value = before['map-year'] || '';
  }
  const again = form.appendChild(el('button', t('import.check_again')));
  again.type = 'submit';
}

/** Shows a dry run's (or an import's) report and the first rows on the map. */
async function showReport(report) {
  $('report').hidden = false;
  const read = report.read;
  $('summary').textContent = t('import.summary', {
    rows: read.rows, unit: report.unit, format: read.format, crs: read.crs || t('import.no_crs'),
    importable: report.importable, skipped: report.skipped.length,
  });
  // How addresses were placed, when the file had some without coordinates.
  if (report.notes && report.notes.length) $('summary').textContent += ' ' + report.notes.join(' ');
  $('skipped-title').textContent = t('import.skipped', { n: report.skipped.length });
  $('skipped').replaceChildren(...report.skipped.map((s) => el('li', report.unit + ' ' + s.row + ': ' + s.reason)));
  $('skipped-box').open = report.skipped.length > 0 && report.skipped.length <= 20;
  $('warnings-title').textContent = t('import.warnings', { n: report.warnings.length });
  $('warnings').replaceChildren(...report.warnings.map((w) => el('li', w)));
  $('do-import').disabled = report.importable === 0;
  if (!map) {
    map = L.map('preview-map');
    tiles(await config()).addTo(map);
  }
  if (layer) layer.remove();
  layer = L.geoJSON(report.preview, {
    pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 6, color: '#12355b' }),
    onEachFeature: (f, l) => l.bindTooltip(() => el('span', f.properties.name || f.properties.school_id || '')),
  }).addTo(map);
  const b = layer.getBounds();
  if (b.isValid()) map.fitBounds(b, { maxZoom: 15 }); else map.setView([0, 0], 1);
}

async function check() {
  $('result').textContent = '';
  $('status').textContent = t('import.checking');
  const r = await upload(query({ dry_run: 'true' }), $('file').files[0]);
  if (!r.ok) { $('status').textContent = t('import.failed', { problem: problemText(r) }); $('report').hidden = true; return; }
  $('status').textContent = '';
  const first = columns.length === 0 || columns.join() !== r.data.read.columns.join();
  columns = r.data.read.columns;
  $('mapping').hidden = false;
  if (first) mappingForm();
  await showReport(r.data);
}

async function doImport() {
  $('do-import').disabled = true;
  $('result').textContent = t('import.importing');
  const extra = $('allow_partial').checked ? { allow_partial: 'true' } : {};
  const r = await upload(query(extra), $('file').files[0]);
  if (!r.ok) { $('result').textContent = t('import.failed', { problem: problemText(r) }); $('do-import').disabled = false; return; }
  const i = r.data.import;
  // The list first, then the words: whoever reads the words finds the list current.
  await history();
  $('result').textContent = t('import.done', { inserted: i.inserted, updated: i.updated, unchanged: i.unchanged, skipped: i.skipped });
}

async function history() {
  const r = await send('GET', '/imports', undefined, token());
  if (!r.ok) return;
  $('history').hidden = false;
  const body = $('imports').querySelector('tbody');
  body.replaceChildren();
  for (const i of r.data.imports) {
    const tr = body.appendChild(el('tr'));
    tr.appendChild(el('td', date(new Date(i.at)) + ' ' + new Date(i.at).toLocaleTimeString()));
    tr.appendChild(el('td', i.file));
    tr.appendChild(el('td', t('import.kind.' + i.kind)));
    tr.appendChild(el('td', i.by));
    tr.appendChild(el('td', [i.inserted, i.updated, i.unchanged, i.skipped].join(' / ')));
    const cell = tr.appendChild(el('td'));
    if (i.undone_at) {
      cell.textContent = t('import.undone_at', { when: date(new Date(i.undone_at)) });
    } else {
      const b = cell.appendChild(el('button', t('import.undo')));
      b.type = 'button';
      b.setAttribute('aria-label', t('import.undo_file', { file: i.file }));
      b.addEventListener('click', async () => {
        const u = await send('POST', '/imports/' + i.id + '/undo', undefined, token());
        const said = u.ok
          ? t('import.undone', { file: i.file, deleted: u.data.deleted, restored: u.data.restored, kept: u.data.kept.length })
          : t('import.failed', { problem: problemText(u) });
        await history();
        $('undo-result').textContent = said;
      });
    }
  }
}

async function signIn() {
  const r = await send('GET', '/imports', undefined, token());
  if (!r.ok) { $('status').textContent = r.status === 401 ? t('review.bad_token') : t('import.not_allowed'); return; }
  $('status').textContent = '';
  $('upload').hidden = false;
  await history();
}

async function start() {
  await initI18n();
  $('token').value = sessionStorage.getItem('assetmap.editor') || '';
  $('login').addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem('assetmap.editor', token()); signIn(); });
  $('file-form').addEventListener('submit', (e) => { e.preventDefault(); columns = []; check(); });
  $('kind').addEventListener('change', () => { if (columns.length) mappingForm(); });
  $('columns-form').addEventListener('submit', (e) => { e.preventDefault(); check(); });
  $('do-import').addEventListener('click', doImport);
  ready();
}
start();
