// The map page for school leaders: a school's attendance area, campus and
// community assets, with a legend that filters, a list in sync with the map,
// the landscape of what is missing, and share, download and print.
// Wires the other modules together; each owns one part of the page.

import { $, el } from './dom.js';
import { getJSON, config, categories as loadCategories, tiles } from './api.js';
import { MILE, haversine } from './distance.js';
import { view, readURL, writeURL } from './url-state.js';
import { iconFor, popupFor, drawArea } from './layers.js';
import { shown, renderLegend, renderList, markSelected, matchingFilters, openOk } from './list.js';
import { renderSummary, clearSummary } from './landscape.js';
import { download, geojsonText, csvText } from './downloads.js';
import { initPartners, loadPartnerships, openPanel, partnerLabel, partnerships, signedIn } from './partners.js';
import { initSuggest } from './suggest.js';
import { initI18n, t, withLang, languageName, lang } from './i18n.js';

let map, areaLayer, schoolLayer, clusters;
let categories = {}, schools = [];
const byExternal = new Map();
const byId = new Map();
let current = null; // { school, campus, assets, markers: Map(id -> marker), bounds }
let selectedId = null;

const status = (text) => { $('status').textContent = text; };
const label = (s) => s.properties.name + (s.properties.level ? ' (' + s.properties.level + ')' : '');
/** How the API names a school: `DISTRICT:ID` outside the default district. */
const schoolKey = (s) => (s.properties.district ? s.properties.district + ':' : '') + String(s.properties.external_id);
/** Every school, and those of the district picked (all of them when there is one district). */
let allSchools = [];
const fail = (e) => status(t('map.failed', { problem: e.message }));

/** An asset's popup; signed-in staff get a button to its partnership. */
function popup(f) {
  const box = popupFor(categories, f, current ? f.distance : undefined);
  const p = partnerships.get(f.id);
  if (p) box.appendChild(el('p', partnerLabel(p) + (p.provides ? ' · ' + t('partner.provides', { what: p.provides }) : ''), 'meta'));
  if (signedIn() && current) {
    const b = box.appendChild(el('button', p ? t('partner.open') : t('partner.record')));
    b.type = 'button';
    b.addEventListener('click', () => { map.closePopup(); openPanel(f, false); });
  }
  return box;
}

/** Outlines the markers of the school's partners. */
function refreshIcons() {
  if (!current) return;
  for (const f of current.assets) current.markers.get(f.id).setIcon(iconFor(categories, f.properties.category, partnerships.has(f.id)));
}

function select(id, fromMap) {
  selectedId = id;
  markSelected(id, fromMap);
  // Staff choosing from the list go on to the asset's partnership.
  if (signedIn() && !fromMap && current) {
    const f = current.assets.find((a) => a.id === id);
    if (f) openPanel(f, true);
  }
  const marker = current && current.markers.get(id);
  if (marker && !fromMap) {
    clusters.zoomToShowLayer(marker, () => marker.openPopup());
    // zoomToShowLayer does not call back in every case (a spiderfied cluster
    // that needs no move); then open the details where the asset is.
    setTimeout(() => {
      if (selectedId === id && !document.querySelector('.leaflet-popup')) {
        const f = current.assets.find((a) => a.id === id);
        if (f) map.openPopup(popup(f), marker.getLatLng());
      }
    }, 700);
  }
}

function render() {
  if (!current) return;
  const visible = shown(current.assets);
  renderLegend(categories, current.assets, update);
  clusters.clearLayers();
  clusters.addLayers(visible.map((f) => current.markers.get(f.id)));
  renderList(categories, visible, current.assets.length, selectedId, (id) => select(id, false));
  renderOpenCounts();
}

/** The hours filters: checked as the view says, each counted like the legend. */
function renderOpenCounts() {
  const base = matchingFilters(current.assets, new Set()).filter((f) => !view.hidden.has(f.properties.category));
  for (const o of ['now', 'evening', 'weekend']) {
    $('open-' + o).checked = view.open.has(o);
    $('open-' + o + '-count').textContent = '(' + base.filter((f) => openOk(f, new Set([o]))).length + ')';
  }
}

function update() {
  writeURL();
  render();
}

function showDistrict() {
  current = null;
  $('partnership').hidden = true;
  clearSummary();
  $('filters').hidden = true;
  $('tools').hidden = true;
  $('list').replaceChildren();
  $('count').textContent = '';
  $('year').disabled = true;
  $('radius').disabled = true;
  status(t('map.district', { n: schools.length }));
  writeURL();
}

/** The years of a school's areas into the year picker; returns the year shown. */
function pickYear(areas) {
  const years = areas.features.map((f) => f.properties.year).sort().reverse();
  const yearSel = $('year');
  yearSel.replaceChildren();
  for (const y of years) yearSel.appendChild(el('option', y)).value = y;
  if (!years.length) yearSel.appendChild(el('option', t('map.no_area'))).value = '';
  if (!years.includes(view.year)) view.year = '';
  yearSel.value = view.year || years[0] || '';
  yearSel.disabled = years.length < 2;
  return { year: view.year || years[0] || '', hasArea: years.length > 0 };
}

/** The radius picker; without an attendance area the area is a radius (one mile unless chosen). */
function pickRadius(hasArea) {
  const radiusSel = $('radius');
  radiusSel.options[0].disabled = !hasArea;
  radiusSel.options[0].textContent = hasArea ? t('map.area.catchment') : t('map.area.catchment_none');
  const radius = view.radius || (hasArea ? '' : '1');
  radiusSel.value = radius;
  radiusSel.disabled = false;
  return radius;
}

/** The language filter: the languages present. */
function pickLanguages() {
  const langSel = $('lang');
  const langs = [...new Set(current.assets.flatMap((f) => f.properties.languages || []))].sort();
  langSel.replaceChildren(el('option', t('map.filter.any_language')));
  langSel.options[0].value = '';
  for (const l of langs) langSel.appendChild(el('option', languageName(l))).value = l;
  if (view.language && !langs.includes(view.language)) langSel.appendChild(el('option', languageName(view.language))).value = view.language;
  langSel.value = view.language;
}

async function showSchool() {
  areaLayer.clearLayers();
  clusters.clearLayers();
  const school = byExternal.get(view.school) || byId.get(view.school);
  if (!school) {
    showDistrict();
    if (view.school) status(t('map.unknown_school', { id: view.school }));
    return;
  }
  // The district's id names the school in links, whichever id was given.
  view.school = schoolKey(school);
  status(t('map.loading', { name: school.properties.name }));
  $('school-search').value = school.properties.name;
  const id = encodeURIComponent(view.school);
  const campus = school.geometry.coordinates;
  const areas = await getJSON('/collections/catchments/items?school=' + id + '&limit=100');
  const { year, hasArea } = pickYear(areas);
  const radius = pickRadius(hasArea);
  const assetsURL = radius
    ? '/collections/assets/items?near=' + campus[0] + ',' + campus[1] + '&radius=' + (Number(radius) * MILE) + '&limit=10000'
    : '/collections/assets/items?school=' + id + (year ? '&year=' + year : '') + '&limit=10000';
  const [assets, summary] = await Promise.all([
    getJSON(assetsURL),
    getJSON(withLang('/schools/' + id + '/summary' + (year ? '?year=' + year : ''))),
  ]);
  const markers = new Map();
  for (const f of assets.features) {
    f.distance = f.properties.distance_m !== undefined ? f.properties.distance_m : haversine(campus, f.geometry.coordinates);
    const [lon, lat] = f.geometry.coordinates;
    f.openFlags = new Set([f.properties.open_evenings && 'evening', f.properties.open_weekends && 'weekend'].filter(Boolean));
    const m = L.marker([lat, lon], { icon: iconFor(categories, f.properties.category, false), keyboard: false, title: String(f.properties.name) });
    m.bindPopup(() => popup(f));
    m.on('click', () => select(f.id, true));
    markers.set(f.id, m);
  }
  current = { school, campus, assets: assets.features, markers };
  $('partnership').hidden = true;
  await loadPartnerships(view.school, status);
  refreshIcons();
  const gapQuery = new URLSearchParams({ school: view.school });
  if (year && !radius) gapQuery.set('year', year);
  if (radius) gapQuery.set('radius', radius);
  $('gap-link').href = '/gap-analysis?' + gapQuery;
  const area = areas.features.find((f) => f.properties.year === year);
  current.bounds = drawArea(areaLayer, school, area, radius);
  if (current.bounds) map.fitBounds(current.bounds, { padding: [16, 16], animate: false });
  const n = assets.numberMatched.toLocaleString(lang);
  const words = radius
    ? t(radius === '1' ? 'map.words.radius_one' : 'map.words.radius', { n, radius: Number(radius).toLocaleString(lang) }) + (hasArea ? '' : ' ' + t('map.words.no_area'))
    : t('map.words.catchment', { n, year });
  renderSummary(school.properties.name, words, summary);
  pickLanguages();
  $('q').value = view.q;
  $('sort').value = view.sort;
  $('partners-filter').value = view.partners;
  $('filters').hidden = false;
  $('tools').hidden = false;
  document.title = t('map.title.school', { name: school.properties.name });
  status('');
  update();
}

function fileStem() {
  return 'assets-' + (current ? current.school.properties.name.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase() : 'district');
}

function openSchool(s) {
  view.school = schoolKey(s);
  view.year = '';
  showSchool().catch(fail);
}

function wire() {
  const search = $('school-search');
  $('find').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = search.value.trim().toLowerCase();
    if (!text) { view.school = ''; showSchool(); return; }
    const exact = schools.find((s) => label(s).toLowerCase() === text || s.properties.name.toLowerCase() === text);
    const partial = schools.find((s) => s.properties.name.toLowerCase().includes(text));
    const hit = exact || partial;
    if (!hit) { status(t('map.no_match', { text: search.value })); return; }
    openSchool(hit);
  });
  search.addEventListener('change', () => {
    const hit = schools.find((s) => label(s) === search.value);
    if (hit) openSchool(hit);
  });
  $('year').addEventListener('change', (e) => { view.year = e.target.value; showSchool().catch(fail); });
  $('radius').addEventListener('change', (e) => { view.radius = e.target.value; showSchool().catch(fail); });
  $('lang').addEventListener('change', (e) => { view.language = e.target.value; update(); });
  for (const o of ['now', 'evening', 'weekend']) {
    $('open-' + o).addEventListener('change', (e) => {
      if (e.target.checked) view.open.add(o); else view.open.delete(o);
      update();
    });
  }
  $('q').addEventListener('input', (e) => { view.q = e.target.value; update(); });
  $('sort').addEventListener('change', (e) => { view.sort = e.target.value; update(); });
  $('partners-filter').addEventListener('change', (e) => { view.partners = e.target.value; update(); });
  initPartners((signedInOrOut) => {
    if (signedInOrOut) { showSchool().catch(fail); return; }
    refreshIcons();
    render();
  });
  $('copy-link').addEventListener('click', async () => {
    const box = $('share-url');
    box.value = window.location.href;
    box.hidden = false;
    box.select();
    try { await navigator.clipboard.writeText(window.location.href); status(t('map.copied')); } catch { status(t('map.copy_below')); }
  });
  $('download-geojson').addEventListener('click', () => {
    download(fileStem() + '.geojson', 'application/geo+json', geojsonText(shown(current.assets)));
  });
  $('download-csv').addEventListener('click', () => {
    download(fileStem() + '.csv', 'text/csv', csvText(shown(current.assets)));
  });
  $('print').addEventListener('click', () => window.print());
}

/** The district: every school on the map and in the search box. */
function drawSchools() {
  const list = $('school-list');
  list.replaceChildren();
  schoolLayer.clearLayers();
  for (const s of schools) {
    list.appendChild(el('option')).value = label(s);
    const [lon, lat] = s.geometry.coordinates;
    L.circleMarker([lat, lon], { radius: 4, color: '#12355b', weight: 1, fillOpacity: 0.7, className: 'school-marker' })
      .bindTooltip(() => el('span', s.properties.name))
      .on('click', () => openSchool(s))
      // Keyboard users find schools with the search box; a hundred markers in
      // the tab order would only be in their way.
      .on('add', (e) => { const p = e.target.getElement(); if (p) p.setAttribute('tabindex', '-1'); })
      .addTo(schoolLayer);
  }
}

/** When the service holds several districts, the district is picked first:
 * the search box and the map then hold its schools only. */
function pickDistrict() {
  const codes = [...new Set(allSchools.map((s) => s.properties.district || ''))].sort();
  if (codes.length < 2) return;
  const select = $('district');
  select.hidden = false;
  $('district-label').hidden = false;
  for (const c of codes) select.appendChild(el('option', c || t('map.district.default'))).value = c;
  const chosen = view.school.includes(':') ? view.school.split(':')[0] : (byExternal.get(view.school)?.properties.district || codes[0]);
  select.value = codes.includes(chosen) ? chosen : codes[0];
  const apply = () => { schools = allSchools.filter((s) => (s.properties.district || '') === select.value); };
  apply();
  select.addEventListener('change', () => {
    apply();
    drawSchools();
    $('school-search').value = '';
    view.school = '';
    showSchool().catch(fail);
  });
}

/** Printing changes the map's size: fit the school's area to it again. */
function refitOnPrint() {
  const fit = () => {
    map.invalidateSize({ animate: false });
    if (current && current.bounds) map.fitBounds(current.bounds, { padding: [8, 8], animate: false });
  };
  // Now, and again once the print layout has settled.
  const refit = () => { fit(); setTimeout(fit, 50); };
  window.addEventListener('beforeprint', refit);
  window.addEventListener('afterprint', refit);
  window.matchMedia('print').addEventListener('change', refit);
}

async function start() {
  const started = performance.now();
  readURL();
  await initI18n();
  const [cfg, cats, schoolFC] = await Promise.all([
    config(), loadCategories(lang), getJSON('/collections/schools/items?limit=10000'),
  ]);
  for (const c of cats.categories) categories[c.id] = c;
  schools = schoolFC.features.slice().sort((a, b) => a.properties.name.localeCompare(b.properties.name));
  for (const s of schools) { byExternal.set(schoolKey(s), s); byId.set(String(s.id), s); }
  allSchools = schools;
  map = L.map('map', { keyboard: true, preferCanvas: false }).setView([47.61, -122.33], 11);
  tiles(cfg, { maxZoom: 19 }).addTo(map);
  areaLayer = L.layerGroup().addTo(map);
  schoolLayer = L.layerGroup().addTo(map);
  clusters = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 40 }).addTo(map);
  pickDistrict();
  drawSchools();
  wire();
  initSuggest(map, categories, () => (current ? current.campus : [map.getCenter().lng, map.getCenter().lat]));
  refitOnPrint();
  await showSchool();
  // Milliseconds from navigation start until the page is usable (read by the browser tests).
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.scriptMs = String(Math.round(performance.now() - started));
  document.body.dataset.ready = 'true';
}

start().catch((e) => status(t('map.failed', { problem: e.message })));
