// assetmap map page: a school's attendance area, campus and community assets,
// with a legend that filters, a list in sync with the map, the landscape of what
// is missing, and share, download and print.
//
// Safe by construction: every text that comes from data is set with
// textContent or as an attribute value, never parsed as HTML.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };
  const getJSON = async (url) => {
    const r = await fetch(url, { headers: { Accept: 'application/json' } });
    if (!r.ok) throw new Error(url + ' answered ' + r.status);
    return r.json();
  };
  const MILE = 1609.344;
  const km = (m) => (m < 1000 ? Math.round(m) + ' m' : (m / 1000).toFixed(1) + ' km');
  const miles = (m) => (m / MILE).toFixed(m < MILE ? 2 : 1) + ' mi';
  const haversine = (a, b) => {
    const R = 6371008.8, rad = Math.PI / 180;
    const dp = (b[1] - a[1]) * rad, dl = (b[0] - a[0]) * rad;
    const h = Math.sin(dp / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dl / 2) ** 2;
    return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
  };
  // One marker shape per community-schools pillar, one colour per category.
  const SHAPES = {
    integrated_student_supports: 'circle',
    family_and_community_engagement: 'square',
    extended_learning: 'diamond',
    collaborative_leadership: 'triangle',
  };

  // What the page shows; mirrored in the URL so a copied link opens the same view.
  const view = { school: '', year: '', radius: '', hidden: new Set(), lang: '', q: '', sort: 'distance' };
  let map, areaLayer, schoolLayer, clusters, categories = {}, schools = [], byExternal = new Map();
  let current = null; // { school, campus, assets, summary, markers: Map(id -> marker) }
  let selectedId = null;

  function status(text) { $('status').textContent = text; }

  function readURL() {
    const p = new URL(window.location.href).searchParams;
    view.school = p.get('school') || '';
    view.year = p.get('year') || '';
    view.radius = ['0.5', '1', '2'].includes(p.get('radius')) ? p.get('radius') : '';
    view.hidden = new Set((p.get('hide') || '').split(',').filter(Boolean));
    view.lang = p.get('lang') || '';
    view.q = p.get('q') || '';
    view.sort = ['distance', 'name', 'category'].includes(p.get('sort')) ? p.get('sort') : 'distance';
  }

  function writeURL() {
    const url = new URL(window.location.href);
    url.search = '';
    const set = (k, v) => { if (v) url.searchParams.set(k, v); };
    set('school', view.school);
    set('year', view.year);
    set('radius', view.radius);
    set('hide', [...view.hidden].sort().join(','));
    set('lang', view.lang);
    set('q', view.q);
    if (view.sort !== 'distance') set('sort', view.sort);
    history.replaceState(null, '', url);
  }

  const ColorIcon = () => L.DivIcon.extend({
    createIcon(old) {
      const icon = L.DivIcon.prototype.createIcon.call(this, old);
      icon.style.backgroundColor = this.options.color; // CSSOM, allowed by the CSP
      return icon;
    },
  });
  let IconClass;

  function iconFor(category) {
    const c = categories[category] || { color: '#333', pillar: null };
    return new IconClass({
      className: 'asset-icon shape-' + (SHAPES[c.pillar] || 'circle'),
      iconSize: [16, 16],
      color: c.color,
    });
  }

  function popupFor(f) {
    const p = f.properties, box = el('div', null, 'popup');
    box.appendChild(el('h3', p.name));
    box.appendChild(el('p', (categories[p.category] || {}).label || p.category, 'meta'));
    if (p.address) box.appendChild(el('p', p.address));
    if (p.phone) {
      const a = el('a', p.phone);
      a.href = 'tel:' + p.phone.replace(/[^0-9+]/g, '');
      box.appendChild(el('p')).appendChild(a);
    }
    if (p.website && /^https?:\/\//i.test(p.website)) {
      const a = el('a', 'Website');
      a.href = p.website;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      box.appendChild(el('p')).appendChild(a);
    }
    if (p.hours) box.appendChild(el('p', 'Hours: ' + p.hours));
    if (p.languages && p.languages.length) box.appendChild(el('p', 'Languages: ' + p.languages.join(', ')));
    box.appendChild(el('p', p.last_verified ? 'Last verified ' + p.last_verified : 'Not verified yet', 'meta'));
    if (current) box.appendChild(el('p', km(f.distance) + ' (' + miles(f.distance) + ') from the campus', 'meta'));
    return box;
  }

  // Assets passing the language and text filters (the legend counts these).
  function matchingFilters() {
    const q = view.q.trim().toLowerCase();
    return current.assets.filter((f) =>
      (!view.lang || (f.properties.languages || []).includes(view.lang)) &&
      (!q || String(f.properties.name).toLowerCase().includes(q)));
  }

  // What is shown: also without the hidden categories, in the chosen order.
  function shown() {
    const list = matchingFilters().filter((f) => !view.hidden.has(f.properties.category));
    const by = {
      distance: (a, b) => a.distance - b.distance,
      name: (a, b) => String(a.properties.name).localeCompare(String(b.properties.name)),
      category: (a, b) => String(a.properties.category).localeCompare(String(b.properties.category)) || a.distance - b.distance,
    }[view.sort];
    return list.sort(by);
  }

  function select(id, fromMap) {
    selectedId = id;
    document.querySelectorAll('#list li[aria-current]').forEach((li) => li.removeAttribute('aria-current'));
    const li = document.querySelector('#list li[data-id="' + CSS.escape(id) + '"]');
    if (li) {
      li.setAttribute('aria-current', 'true');
      if (fromMap) li.scrollIntoView({ block: 'nearest' });
    }
    const marker = current && current.markers.get(id);
    if (marker && !fromMap) {
      clusters.zoomToShowLayer(marker, () => marker.openPopup());
      // zoomToShowLayer does not call back in every case (a spiderfied cluster
      // that needs no move); then open the details where the asset is.
      setTimeout(() => {
        if (selectedId === id && !document.querySelector('.leaflet-popup')) {
          const f = current.assets.find((a) => a.id === id);
          if (f) map.openPopup(popupFor(f), marker.getLatLng());
        }
      }, 700);
    }
  }

  function render() {
    if (!current) return;
    const filtered = matchingFilters();
    const visible = shown();
    // Legend: every category present, its colour, its count under the filters.
    const counts = {};
    for (const f of filtered) counts[f.properties.category] = (counts[f.properties.category] || 0) + 1;
    const present = [...new Set(current.assets.map((f) => f.properties.category))];
    const legend = $('legend');
    legend.replaceChildren();
    for (const id of Object.keys(categories).filter((c) => present.includes(c))) {
      const c = categories[id];
      const b = el('button', null, 'legend-entry');
      b.type = 'button';
      b.dataset.category = id;
      b.setAttribute('aria-pressed', String(!view.hidden.has(id)));
      const sw = b.appendChild(el('span', null, 'swatch shape-' + (SHAPES[c.pillar] || 'circle')));
      sw.style.backgroundColor = c.color;
      sw.setAttribute('aria-hidden', 'true');
      b.appendChild(el('span', c.label + ' '));
      b.appendChild(el('span', '(' + (counts[id] || 0) + ')', 'legend-count'));
      b.addEventListener('click', () => {
        if (view.hidden.has(id)) view.hidden.delete(id); else view.hidden.add(id);
        update();
      });
      legend.appendChild(el('li')).appendChild(b);
    }
    // Map.
    clusters.clearLayers();
    clusters.addLayers(visible.map((f) => current.markers.get(f.id)));
    // List.
    const list = $('list');
    list.replaceChildren();
    for (const f of visible) {
      const c = categories[f.properties.category] || { label: f.properties.category };
      const li = el('li');
      li.tabIndex = 0;
      li.dataset.id = f.id;
      li.setAttribute('role', 'button');
      li.appendChild(el('strong', f.properties.name));
      li.appendChild(el('span', ' · ' + c.label + ' · ' + km(f.distance), 'meta'));
      if (f.properties.address) li.appendChild(el('span', f.properties.address, 'address'));
      if (f.properties.phone) li.appendChild(el('span', f.properties.phone, 'address print-only'));
      if (f.id === selectedId) li.setAttribute('aria-current', 'true');
      const open = () => select(f.id, false);
      li.addEventListener('click', open);
      li.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(); }
      });
      list.appendChild(li);
    }
    $('count').textContent = '(' + visible.length + (visible.length !== current.assets.length ? ' of ' + current.assets.length : '') + ')';
  }

  function update() {
    writeURL();
    render();
  }

  function renderSummary(summary, areaWords) {
    $('summary-title').textContent = current.school.properties.name;
    $('summary-area').textContent = areaWords;
    const body = $('landscape').querySelector('tbody');
    body.replaceChildren();
    for (const c of summary.categories) {
      // Categories absent from the data altogether are stated under "What is missing".
      if (c.count === 0 && !c.nearest) continue;
      const tr = el('tr');
      tr.appendChild(el('th', c.label)).scope = 'row';
      tr.appendChild(el('td', c.count));
      tr.appendChild(el('td', c.nearest ? c.nearest.name + ' · ' + km(c.nearest.distance_m) : 'none in the data'));
      body.appendChild(tr);
    }
    $('landscape').hidden = false;
    const gaps = $('gaps');
    gaps.replaceChildren();
    for (const g of summary.gaps) gaps.appendChild(el('li', g.statement));
    $('gaps-title').hidden = summary.gaps.length === 0;
  }

  async function showSchool() {
    areaLayer.clearLayers();
    clusters.clearLayers();
    const school = byExternal.get(view.school);
    if (!school) {
      current = null;
      $('summary-title').textContent = 'Pick a school';
      $('summary-area').textContent = 'Type a school\'s name above, or click a school on the map.';
      $('landscape').hidden = true;
      $('gaps').replaceChildren();
      $('gaps-title').hidden = true;
      $('filters').hidden = true;
      $('tools').hidden = true;
      $('list').replaceChildren();
      $('count').textContent = '';
      $('year').disabled = true;
      $('radius').disabled = true;
      status(schools.length + ' schools; pick one to see its community');
      writeURL();
      return;
    }
    status('Loading ' + school.properties.name + '…');
    $('school-search').value = school.properties.name;
    const id = encodeURIComponent(view.school);
    const campus = school.geometry.coordinates;
    const areas = await getJSON('/collections/catchments/items?school=' + id + '&limit=100');
    const years = areas.features.map((f) => f.properties.year).sort().reverse();
    const yearSel = $('year');
    yearSel.replaceChildren();
    for (const y of years) yearSel.appendChild(el('option', y)).value = y;
    if (!years.length) yearSel.appendChild(el('option', 'No attendance area')).value = '';
    if (!years.includes(view.year)) view.year = '';
    yearSel.value = view.year || years[0] || '';
    yearSel.disabled = years.length < 2;
    const year = view.year || years[0] || '';
    const hasArea = years.length > 0;
    const radiusSel = $('radius');
    radiusSel.options[0].disabled = !hasArea;
    radiusSel.options[0].textContent = hasArea ? 'Attendance area' : 'Attendance area (none)';
    // Without an attendance area the school's area is a radius (one mile unless chosen).
    const radius = view.radius || (hasArea ? '' : '1');
    radiusSel.value = radius;
    radiusSel.disabled = false;
    const assetsURL = radius
      ? '/collections/assets/items?near=' + campus[0] + ',' + campus[1] + '&radius=' + (Number(radius) * MILE) + '&limit=10000'
      : '/collections/assets/items?school=' + id + (year ? '&year=' + year : '') + '&limit=10000';
    const [assets, summary] = await Promise.all([
      getJSON(assetsURL),
      getJSON('/schools/' + id + '/summary' + (year ? '?year=' + year : '')),
    ]);
    const markers = new Map();
    for (const f of assets.features) {
      f.distance = f.properties.distance_m !== undefined ? f.properties.distance_m : haversine(campus, f.geometry.coordinates);
      const [lon, lat] = f.geometry.coordinates;
      const m = L.marker([lat, lon], { icon: iconFor(f.properties.category), keyboard: false, title: String(f.properties.name) });
      m.bindPopup(() => popupFor(f));
      m.on('click', () => select(f.id, true));
      markers.set(f.id, m);
    }
    current = { school, campus, assets: assets.features, markers };
    let bounds;
    const area = areas.features.find((f) => f.properties.year === year);
    if (area) {
      const outline = L.geoJSON(area, { interactive: false, style: { color: '#12355b', weight: 2, fillOpacity: radius ? 0.02 : 0.06 } }).addTo(areaLayer);
      bounds = outline.getBounds();
    }
    if (radius) {
      const ring = L.circle([campus[1], campus[0]], { radius: Number(radius) * MILE, interactive: false, color: '#b35900', weight: 2, dashArray: '6 4', fillOpacity: 0.04 }).addTo(areaLayer);
      bounds = ring.getBounds();
    }
    L.marker([campus[1], campus[0]], { icon: L.divIcon({ className: 'campus-icon', iconSize: [18, 18] }), title: school.properties.name + ' (campus)', zIndexOffset: 1000 })
      .bindPopup(() => { const b = el('div', null, 'popup'); b.appendChild(el('h3', school.properties.name)); b.appendChild(el('p', 'Campus', 'meta')); return b; })
      .addTo(areaLayer);
    current.bounds = bounds;
    if (bounds) map.fitBounds(bounds, { padding: [16, 16], animate: false });
    const words = radius
      ? assets.numberMatched + ' assets within ' + radius + (radius === '1' ? ' mile' : ' miles') + ' of the campus' + (hasArea ? '' : ' (the school has no attendance area)')
      : assets.numberMatched + ' assets in the ' + year + ' attendance area';
    renderSummary(summary, words);
    // Language filter: the languages present.
    const langSel = $('lang');
    const langs = [...new Set(current.assets.flatMap((f) => f.properties.languages || []))].sort();
    langSel.replaceChildren(el('option', 'Any language'));
    langSel.options[0].value = '';
    for (const l of langs) langSel.appendChild(el('option', l)).value = l;
    if (view.lang && !langs.includes(view.lang)) langSel.appendChild(el('option', view.lang)).value = view.lang;
    langSel.value = view.lang;
    $('q').value = view.q;
    $('sort').value = view.sort;
    $('filters').hidden = false;
    $('tools').hidden = false;
    document.title = school.properties.name + ': community assets · assetmap';
    status('');
    update();
  }

  function download(name, type, text) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type }));
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  // A cell for a spreadsheet: quoted, and never read as a formula.
  function csvCell(v) {
    let s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join('; ') : String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
    return '"' + s.replace(/"/g, '""') + '"';
  }

  function fileStem() {
    return 'assets-' + (current ? current.school.properties.name.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase() : 'district');
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
      if (!hit) { status('No school matches “' + search.value + '”'); return; }
      view.school = String(hit.properties.external_id);
      view.year = '';
      showSchool().catch(fail);
    });
    search.addEventListener('change', () => {
      const hit = schools.find((s) => label(s) === search.value);
      if (hit) { view.school = String(hit.properties.external_id); view.year = ''; showSchool().catch(fail); }
    });
    $('year').addEventListener('change', (e) => { view.year = e.target.value; showSchool().catch(fail); });
    $('radius').addEventListener('change', (e) => { view.radius = e.target.value; showSchool().catch(fail); });
    $('lang').addEventListener('change', (e) => { view.lang = e.target.value; update(); });
    $('q').addEventListener('input', (e) => { view.q = e.target.value; update(); });
    $('sort').addEventListener('change', (e) => { view.sort = e.target.value; update(); });
    $('copy-link').addEventListener('click', async () => {
      const box = $('share-url');
      box.value = window.location.href;
      box.hidden = false;
      box.select();
      try { await navigator.clipboard.writeText(window.location.href); status('Link copied'); } catch { status('Copy the link shown below the buttons'); }
    });
    $('download-geojson').addEventListener('click', () => {
      const features = shown().map((f) => ({ type: 'Feature', id: f.id, geometry: f.geometry, properties: f.properties }));
      download(fileStem() + '.geojson', 'application/geo+json', JSON.stringify({ type: 'FeatureCollection', features }));
    });
    $('download-csv').addEventListener('click', () => {
      const cols = ['id', 'name', 'category', 'address', 'phone', 'email', 'website', 'hours', 'languages', 'last_verified', 'distance_m', 'longitude', 'latitude'];
      const rows = shown().map((f) => cols.map((c) => csvCell(
        c === 'id' ? f.id : c === 'distance_m' ? Math.round(f.distance) : c === 'longitude' ? f.geometry.coordinates[0] : c === 'latitude' ? f.geometry.coordinates[1] : f.properties[c])).join(','));
      download(fileStem() + '.csv', 'text/csv', [cols.join(',')].concat(rows).join('\r\n') + '\r\n');
    });
    $('print').addEventListener('click', () => window.print());
  }

  const label = (s) => s.properties.name + (s.properties.level ? ' (' + s.properties.level + ')' : '');
  const fail = (e) => status('Could not load: ' + e.message);

  async function start() {
    const started = performance.now();
    readURL();
    IconClass = ColorIcon();
    const [config, cats, schoolFC] = await Promise.all([
      getJSON('/config.json'), getJSON('/categories'), getJSON('/collections/schools/items?limit=10000'),
    ]);
    for (const c of cats.categories) categories[c.id] = c;
    schools = schoolFC.features.slice().sort((a, b) => a.properties.name.localeCompare(b.properties.name));
    for (const s of schools) byExternal.set(String(s.properties.external_id), s);
    map = L.map('map', { keyboard: true, preferCanvas: false }).setView([47.61, -122.33], 11);
    // Tiles that fail to load leave the data on a plain background.
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution, maxZoom: 19 }).addTo(map);
    areaLayer = L.layerGroup().addTo(map);
    schoolLayer = L.layerGroup().addTo(map);
    clusters = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 40 }).addTo(map);
    const list = $('school-list');
    for (const s of schools) {
      list.appendChild(el('option')).value = label(s);
      const [lon, lat] = s.geometry.coordinates;
      L.circleMarker([lat, lon], { radius: 4, color: '#12355b', weight: 1, fillOpacity: 0.7, className: 'school-marker' })
        .bindTooltip(() => el('span', s.properties.name))
        .on('click', () => { view.school = String(s.properties.external_id); view.year = ''; showSchool().catch(fail); })
        // Keyboard users find schools with the search box; a hundred markers in
        // the tab order would only be in their way.
        .on('add', (e) => { const p = e.target.getElement(); if (p) p.setAttribute('tabindex', '-1'); })
        .addTo(schoolLayer);
    }
    wire();
    // Printing: the map changes size, so fit the school's area to it again.
    const fit = () => {
      map.invalidateSize({ animate: false });
      if (current && current.bounds) map.fitBounds(current.bounds, { padding: [8, 8], animate: false });
    };
    // Now, and again once the print layout has settled.
    const refit = () => { fit(); setTimeout(fit, 50); };
    window.addEventListener('beforeprint', refit);
    window.addEventListener('afterprint', refit);
    window.matchMedia('print').addEventListener('change', refit);
    await showSchool();
    // Milliseconds from navigation start until the page is usable (read by the browser tests).
    document.body.dataset.readyMs = String(Math.round(performance.now()));
    document.body.dataset.scriptMs = String(Math.round(performance.now() - started));
    document.body.dataset.ready = 'true';
  }

  start().catch((e) => status('Could not load the map: ' + e.message));
})();
