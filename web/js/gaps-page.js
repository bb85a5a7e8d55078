// The gap analysis report of one school (`/gap-analysis?school=…`): the map of
// its area with its partners ringed, what is missing, the tables by pillar and
// by need domain, and its partners; printable on letter paper for the school's
// advisory council. Staff signed in on the map page see every active partner.

import { $, el } from './dom.js';
import { getJSON, config, categories as loadCategories, tiles } from './api.js';
import { km } from './distance.js';
import { drawArea, iconFor } from './layers.js';
import { getAuthed } from './staff.js';

const status = (t) => { $('status').textContent = t; };
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
  box.appendChild(el('p', pillar.in_area + ' assets in the area · ' + pillar.within_radius + ' ' + radiusWords + ' · ' +
    pillar.active_partners + (pillar.active_partners === 1 ? ' active partner' : ' active partners'), 'meta'));
  const t = box.appendChild(el('table', null, 'report-table'));
  t.appendChild(el('caption', pillar.label + ': each category', 'sr-only'));
  const head = t.appendChild(el('thead')).appendChild(el('tr'));
  for (const c of ['Category', 'In the area', radiusWords[0].toUpperCase() + radiusWords.slice(1), 'Active partners', 'Nearest to the campus']) head.appendChild(el('th', c)).scope = 'col';
  const body = t.appendChild(el('tbody'));
  for (const id of pillar.categories) {
    const c = cats.find((x) => x.category === id);
    const tr = body.appendChild(el('tr'));
    tr.appendChild(el('th', c.label)).scope = 'row';
    tr.appendChild(num(c.in_area));
    tr.appendChild(num(c.within_radius));
    tr.appendChild(num(c.active_partners));
    tr.appendChild(el('td', c.nearest ? c.nearest.name + ' · ' + km(c.nearest.distance_m) : 'none in the data'));
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
  const v = params();
  if (!v.school) { status('Open a school on the map first, then its gap analysis.'); return; }
  const id = encodeURIComponent(v.school);
  const q = query(v);
  const [cfg, cats, answer, school] = await Promise.all([
    config(), loadCategories(), getAuthed('/schools/' + id + '/gaps?' + q), getJSON('/collections/schools/items/' + id),
  ]);
  if (!answer.ok) { status('Could not load the gap analysis: ' + ((answer.data && answer.data.detail) || answer.status)); return; }
  const categories = {};
  for (const c of cats.categories) categories[c.id] = c;
  const g = answer.data, a = g.analysis;
  const radiusWords = 'within ' + km(a.radius_m) + (Math.abs(a.radius_m - 1609.344) < 1 ? ' (1 mile)' : '') + ' of the campus';
  document.title = 'Gap analysis: ' + g.school.name + ' · assetmap';
  $('report-title').textContent = 'Gap analysis: ' + g.school.name;
  $('report-meta').textContent = 'Area: ' + a.area + '. Radius: ' + km(a.radius_m) + '. Prepared ' +
    new Date(g.generated_at + 'T12:00:00').toLocaleDateString('en-US', { year: 'numeric', month: 'long', day: 'numeric' }) + '.';
  $('back').href = '/?school=' + id + (v.year ? '&year=' + encodeURIComponent(v.year) : '');
  $('csv').href = '/schools/' + id + '/gaps?' + new URLSearchParams([...q, ['f', 'csv']]);
  const gaps = $('all-gaps');
  for (const s of a.gaps) gaps.appendChild(el('li', s));
  if (!a.gaps.length) gaps.appendChild(el('li', 'Nothing is missing: every category has an asset in the area and every pillar an active partner.'));
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
    ? 'Partners shown: ' + a.partners.length + '.'
    : 'No partner to show. School staff record partners on the map page.';
  $('print').addEventListener('click', () => window.print());
  await drawMap(cfg, categories, v, school, a);
  status('');
  document.body.dataset.ready = 'true';
}

start().catch((e) => status('Could not load the report: ' + e.message));
