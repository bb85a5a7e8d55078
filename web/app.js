// assetmap map page: pick a school, see its attendance area, campus and assets.
// Every text that comes from data is set with textContent, never as HTML.
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
    if (!r.ok) throw new Error(url + ': ' + r.status);
    return r.json();
  };
  const km = (m) => (m < 1000 ? Math.round(m) + ' m' : (m / 1000).toFixed(1) + ' km');
  const haversine = (a, b) => {
    const R = 6371008.8, rad = Math.PI / 180;
    const dp = (b[1] - a[1]) * rad, dl = (b[0] - a[0]) * rad;
    const h = Math.sin(dp / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dl / 2) ** 2;
    return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
  };

  let map, areaLayer, assetLayer, schoolLayer, categories = {}, markers = new Map();

  function status(text) { $('status').textContent = text; }

  function popupFor(f, campus) {
    const p = f.properties, box = el('div', null, 'popup');
    box.appendChild(el('h3', p.name));
    box.appendChild(el('p', (categories[p.category] || {}).label || p.category, 'meta'));
    if (p.address) box.appendChild(el('p', p.address));
    if (p.phone) {
      const a = el('a', p.phone); a.href = 'tel:' + p.phone.replace(/[^0-9+]/g, '');
      const line = el('p'); line.appendChild(a); box.appendChild(line);
    }
    if (p.website && /^https?:\/\//i.test(p.website)) {
      const a = el('a', 'Website'); a.href = p.website; a.target = '_blank'; a.rel = 'noopener noreferrer';
      const line = el('p'); line.appendChild(a); box.appendChild(line);
    }
    if (p.hours) box.appendChild(el('p', 'Hours: ' + p.hours));
    if (p.languages && p.languages.length) box.appendChild(el('p', 'Languages: ' + p.languages.join(', ')));
    if (p.last_verified) box.appendChild(el('p', 'Last verified ' + p.last_verified, 'meta'));
    if (campus) box.appendChild(el('p', km(haversine(campus, f.geometry.coordinates)) + ' from the campus', 'meta'));
    return box;
  }

  function select(id) {
    document.querySelectorAll('#list li.selected').forEach((li) => li.classList.remove('selected'));
    const m = markers.get(id);
    if (!m) return;
    m.marker.openPopup();
    m.item.classList.add('selected');
    m.item.scrollIntoView({ block: 'nearest' });
  }

  function drawAssets(features, campus) {
    assetLayer.clearLayers();
    markers.clear();
    const list = $('list'), legend = $('legend');
    list.replaceChildren();
    legend.replaceChildren();
    const counts = {};
    const sorted = features.slice();
    if (campus) sorted.sort((a, b) => haversine(campus, a.geometry.coordinates) - haversine(campus, b.geometry.coordinates));
    for (const f of sorted) {
      const c = categories[f.properties.category] || { color: '#333', label: f.properties.category };
      counts[f.properties.category] = (counts[f.properties.category] || 0) + 1;
      const [lon, lat] = f.geometry.coordinates;
      const marker = L.circleMarker([lat, lon], { radius: 6, color: '#fff', weight: 1, fillColor: c.color, fillOpacity: 0.9, className: 'asset-marker' });
      marker.bindPopup(() => popupFor(f, campus));
      marker.on('click', () => select(f.id));
      marker.addTo(assetLayer);
      const li = el('li');
      li.tabIndex = 0;
      li.appendChild(el('span', null, 'swatch')).dataset.color = c.color;
      li.appendChild(el('span', f.properties.name));
      li.appendChild(el('span', ' · ' + c.label + (campus ? ' · ' + km(haversine(campus, f.geometry.coordinates)) : ''), 'meta'));
      const open = () => { map.panTo([lat, lon]); select(f.id); };
      li.addEventListener('click', open);
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(); } });
      list.appendChild(li);
      markers.set(f.id, { marker, item: li });
    }
    for (const [id, n] of Object.entries(counts)) {
      const c = categories[id] || { color: '#333', label: id };
      const li = el('li');
      li.appendChild(el('span', null, 'swatch')).dataset.color = c.color;
      li.appendChild(el('span', c.label + ' (' + n + ')'));
      legend.appendChild(li);
    }
    // Swatch colours are set through the CSSOM (allowed by the CSP), not inline style attributes.
    document.querySelectorAll('.swatch').forEach((s) => { s.style.background = s.dataset.color; });
    $('count').textContent = '(' + features.length + ')';
  }

  async function showSchool(id) {
    const url = new URL(window.location.href);
    if (id) url.searchParams.set('school', id); else url.searchParams.delete('school');
    history.replaceState(null, '', url);
    areaLayer.clearLayers();
    if (!id) {
      $('summary-title').textContent = 'Pick a school';
      $('summary-area').textContent = '';
      $('gaps').replaceChildren();
      $('gaps-title').textContent = 'What is missing';
      const all = await getJSON('/collections/assets/items?limit=10000');
      drawAssets(all.features, null);
      status(all.numberMatched + ' assets in the district');
      return;
    }
    status('Loading…');
    const [school, areas, assets, summary] = await Promise.all([
      getJSON('/collections/schools/items/' + encodeURIComponent(id)),
      getJSON('/collections/catchments/items?school=' + encodeURIComponent(id) + '&limit=100'),
      getJSON('/collections/assets/items?school=' + encodeURIComponent(id) + '&limit=10000'),
      getJSON('/schools/' + encodeURIComponent(id) + '/summary'),
    ]);
    const campus = school.geometry.coordinates;
    const newest = areas.features.sort((a, b) => (a.properties.year < b.properties.year ? 1 : -1))[0];
    let bounds;
    if (newest && summary.area.kind === 'catchment') {
      const poly = L.geoJSON(newest, { style: { color: '#12355b', weight: 2, fillOpacity: 0.06 } }).addTo(areaLayer);
      bounds = poly.getBounds();
    } else {
      const ring = L.circle([campus[1], campus[0]], { radius: summary.area.radius_m, color: '#12355b', weight: 2, fillOpacity: 0.04 }).addTo(areaLayer);
      bounds = ring.getBounds();
    }
    const icon = L.divIcon({ className: 'campus-icon', iconSize: [14, 14] });
    L.marker([campus[1], campus[0]], { icon, title: school.properties.name, keyboard: true })
      .bindPopup(() => { const b = el('div', null, 'popup'); b.appendChild(el('h3', school.properties.name)); b.appendChild(el('p', 'Campus', 'meta')); return b; })
      .addTo(areaLayer);
    drawAssets(assets.features, campus);
    map.fitBounds(bounds, { padding: [20, 20], animate: false });
    $('summary-title').textContent = school.properties.name;
    $('summary-area').textContent = summary.area.kind === 'catchment'
      ? summary.total + ' assets in the ' + summary.area.year + ' attendance area'
      : summary.total + ' assets within ' + km(summary.area.radius_m) + ' of the campus (no attendance area)';
    const gaps = $('gaps');
    gaps.replaceChildren();
    for (const g of summary.gaps) gaps.appendChild(el('li', g.statement));
    $('gaps-title').textContent = summary.gaps.length
      ? 'What is missing: ' + summary.gaps.length + ' categories with nothing in the area'
      : 'Every category has at least one asset in the area';
    status('');
  }

  async function start() {
    const [config, cats, schools] = await Promise.all([
      getJSON('/config.json'), getJSON('/categories'), getJSON('/collections/schools/items?limit=10000'),
    ]);
    for (const c of cats.categories) categories[c.id] = c;
    map = L.map('map', { keyboard: true }).setView([47.61, -122.33], 11);
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution, maxZoom: 19 }).addTo(map);
    areaLayer = L.layerGroup().addTo(map);
    assetLayer = L.layerGroup().addTo(map);
    schoolLayer = L.layerGroup().addTo(map);
    const pick = $('school');
    const sorted = schools.features.slice().sort((a, b) => a.properties.name.localeCompare(b.properties.name));
    for (const s of sorted) {
      const o = el('option', s.properties.name + (s.properties.level ? ' (' + s.properties.level + ')' : ''));
      o.value = s.properties.external_id;
      pick.appendChild(o);
      const [lon, lat] = s.geometry.coordinates;
      L.circleMarker([lat, lon], { radius: 3, color: '#12355b', weight: 1, fillOpacity: 0.6 })
        .bindTooltip(() => el('span', s.properties.name))
        .on('click', () => { pick.value = s.properties.external_id; showSchool(s.properties.external_id); })
        .addTo(schoolLayer);
    }
    pick.addEventListener('change', () => showSchool(pick.value).catch((e) => status('Could not load: ' + e.message)));
    const wanted = new URL(window.location.href).searchParams.get('school') || '';
    pick.value = wanted;
    await showSchool(pick.value);
    document.body.dataset.ready = 'true';
  }

  start().catch((e) => status('Could not load the map: ' + e.message));
})();
