// The gap analysis report of one school (`/gap-analysis?school=…`): the map of
// its area with its partners ringed, what is missing, the tables by pillar and
// by need domain, and its partners; printable on letter paper for the school's
// advisory council. Staff signed in on the map page see every active partner.

import { $, el } from './dom.js';
import { getJSON, config, categories as loadCategories, tiles } from './api.js';
import { km } from './distance.js';
import { drawArea, iconFor } from './layers.js';
import { getAuthed } from './staff.js';
import { initI18n, t, lang, withLang, date } from './i18n.js';

const status = (text) => { $('status').textContent = text; };
const num = (n) => { const td = el('td', n, 'n'); return td; };

function params() {
  const p = new URL(window.location.href).searchParams;
  return { school: p.get('school') || '', year: p.get('year') || '', radius: p.get('radius') || '' };
}

function query(v) {
  const q = new URLSearchParams();
  if (v.year) q.set('year', v.year);
  if (v.radius) q.set('radius', String(Number(v.radius) * 1609.344));
  return q;
}

function pillarTable(pillar, cats, radiusWords) {
  const box = el('section');
  box.setAttribute('aria-labelledby', 'pillar-' + pillar.id);
  const h = box.appendChild(el('h3', pillar.label));
  h.id = 'pillar-' + pillar.id;
  box.appendChild(el('p', t('gaps.pillar.meta', { in_area: pillar.in_area, within: pillar.within_radius, radius: radiusWords, partners: pillar.active_partners }), 'meta'));
  const tbl = box.appendChild(el('table', null, 'report-table'));
  tbl.appendChild(el('caption', t('gaps.pillar.caption', { pillar: pillar.label }), 'sr-only'));
  const head = tbl.appendChild(el('thead')).appendChild(el('tr'));
  for (const c of [t('gaps.col.category'), t('gaps.col.in_area'), radiusWords[0].toUpperCase() + radiusWords.slice(1), t('gaps.col.partners'), t('map.landscape.nearest')]) head.appendChild(el('th', c)).scope = 'col';
  const body = tbl.appendChild(el('tbody'));
  for (const id of pillar.categories) {
    const c = cats.find((x) => x.category === id);
    const tr = body.appendChild(el('tr'));
    tr.appendChild(el('th', c.label)).scope = 'row';
    tr.appendChild(num(c.in_area));
    tr.appendChild(num(c.within_radius));
    tr.appendChild(num(c.active_partners));
    tr.appendChild(el('td', c.nearest ? c.nearest.name + ' · ' + km(c.nearest.distance_m) : t('map.landscape.none')));
  }
  if (pillar.gaps.length) {
    const ul = box.appendChild(el('ul', null, 'gap-list'));
    for (const g of pillar.gaps) ul.appendChild(el('li', g));
  }
  return box;
}

async function drawMap(cfg, cats, v, school, analysis) {
  const map = L.map('report-map', { zoomControl: true, attributionControl: true });
  tiles(cfg, { maxZoom: 19 }).addTo(map);
  const id = encodeURIComponent(v.school);
  const areas = await getJSON('/collections/catchments/items?school=' + id + '&limit=100');
  const area = v.year ? areas.features.find((f) => f.properties.year === v.year) : areas.features.sort((a, b) => b.properties.year.localeCompare(a.properties.year))[0];
  const bounds = drawArea(L.layerGroup().addTo(map), school, v.radius ? null : area, v.radius || (area ? '' : '1'));
  const c = school.geometry.coordinates;
  // A view before any vector layer: circle markers need one to be drawn.
  if (bounds) map.fitBounds(bounds, { padding: [10, 10], animate: false }); else map.setView([c[1], c[0]], 14);
  const url = v.radius || !area
    ? '/collections/assets/items?near=' + c[0] + ',' + c[1] + '&radius=' + (Number(v.radius || 1) * 1609.344) + '&limit=10000'
    : '/collections/assets/items?school=' + id + (area ? '&year=' + area.properties.year : '') + '&limit=10000';
  const assets = await getJSON(url);
  const partners = new Set(analysis.partners.map((p) => p.asset_id));
  for (const f of assets.features) {
    const [lon, lat] = f.geometry.coordinates;
    L.marker([lat, lon], { icon: iconFor(cats, f.properties.category), keyboard: false, interactive: false }).addTo(map);
    if (partners.has(f.id)) L.circleMarker([lat, lon], { radius: 11, color: '#12355b', weight: 3, fill: false, interactive: false }).addTo(map);
  }
  const refit = () => { map.invalidateSize({ animate: false }); if (bounds) map.fitBounds(bounds, { padding: [6, 6], animate: false }); };
  window.addEventListener('beforeprint', refit);
  window.matchMedia('print').addEventListener('change', refit);
}

async function start() {
  await initI18n();
  const v = params();
  if (!v.school) { status(t('gaps.no_school')); return; }
  const id = encodeURIComponent(v.school);
  const q = query(v);
  const [cfg, cats, answer, school] = await Promise.all([
    config(), loadCategories(lang), getAuthed(withLang('/schools/' + id + '/gaps?' + q)), getJSON('/collections/schools/items/' + id),
  ]);
  if (!answer.ok) { status(t('gaps.failed', { problem: (answer.data && answer.data.detail) || answer.status })); return; }
  const categories = {};
  for (const c of cats.categories) categories[c.id] = c;
  const g = answer.data, a = g.analysis;
  const radiusWords = t(Math.abs(a.radius_m - 1609.344) < 1 ? 'gaps.radius.mile' : 'gaps.radius', { distance: km(a.radius_m) });
  document.title = t('gaps.page_title', { name: g.school.name });
  $('report-title').textContent = t('gaps.title.school', { name: g.school.name });
  $('report-meta').textContent = t('gaps.meta', { area: a.area, radius: km(a.radius_m), date: date(g.generated_at) });
  $('back').href = '/?school=' + id + (v.year ? '&year=' + encodeURIComponent(v.year) : '') + '&lang=' + lang;
  $('csv').href = '/schools/' + id + '/gaps?' + new URLSearchParams([...q, ['f', 'csv'], ['lang', lang]]);
  const gaps = $('all-gaps');
  for (const s of a.gaps) gaps.appendChild(el('li', s));
  if (!a.gaps.length) gaps.appendChild(el('li', t('gaps.nothing_missing')));
  const pillars = $('pillars');
  for (const p of a.pillars) pillars.appendChild(pillarTable(p, a.categories, radiusWords));
  const dbody = $('domains').querySelector('tbody');
  for (const d of a.domains) {
    const tr = dbody.appendChild(el('tr'));
    tr.appendChild(el('th', d.label)).scope = 'row';
    tr.appendChild(num(d.in_area));
    tr.appendChild(num(d.within_radius));
    tr.appendChild(num(d.active_partners));
    tr.appendChild(el('td', d.missing.map((m) => (categories[m] || { label: m }).label).join(', ') || '—'));
  }
  const pbody = $('partners').querySelector('tbody');
  for (const p of a.partners) {
    const tr = pbody.appendChild(el('tr'));
    tr.appendChild(el('th', p.name)).scope = 'row';
    tr.appendChild(el('td', (categories[p.category] || { label: p.category }).label));
    tr.appendChild(el('td', p.provides || '—'));
    tr.appendChild(el('td', p.pillars.map((x) => (a.pillars.find((y) => y.id === x) || { label: x }).label).join(', ')));
  }
  $('partners-note').textContent = a.partners.length
    ? t('gaps.partners.shown', { n: a.partners.length })
    : t('gaps.partners.none');
  $('print').addEventListener('click', () => window.print());
  await drawMap(cfg, categories, v, school, a);
  status('');
  document.body.dataset.ready = 'true';
}

start().catch((e) => status(t('gaps.report_failed', { problem: e.message })));
