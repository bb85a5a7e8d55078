// The filters, the legend (which also filters) and the list in sync with the map.

import { $, el } from './dom.js';
import { km } from './distance.js';
import { t, lang } from './i18n.js';
import { shapeOf } from './layers.js';
import { view } from './url-state.js';
import { partnerships, partnerLabel, signedIn } from './partners.js';

/** Whether an asset passes the partners filter (only when staff are signed in). */
function partnerOk(f) {
  if (!view.partners || !signedIn()) return true;
  return (view.partners === 'yes') === partnerships.has(f.id);
}

/** Whether an asset is open when the hours filters ask (now, evenings, weekends). */
export function openOk(f, open) {
  return [...open].every((o) => (o === 'now' ? f.properties.open_now === true : (f.openFlags || new Set()).has(o)));
}

/** Assets passing the language, text, hours and partner filters (the legend counts these). */
export function matchingFilters(assets, open = view.open) {
  const q = view.q.trim().toLowerCase();
  return assets.filter((f) =>
    (!view.language || (f.properties.languages || []).includes(view.language)) &&
    (!q || displayName(f).toLowerCase().includes(q) || String(f.properties.name).toLowerCase().includes(q)) &&
    openOk(f, open) &&
    partnerOk(f));
}

/** An asset's name in the page's language when it has one. */
export const displayName = (f) => ((f.properties.translations || {})[lang] || {}).name || String(f.properties.name);

/** What is shown: also without the hidden categories, in the chosen order. */
export function shown(assets) {
  const list = matchingFilters(assets).filter((f) => !view.hidden.has(f.properties.category));
  const by = {
    distance: (a, b) => a.distance - b.distance,
    name: (a, b) => displayName(a).localeCompare(displayName(b), lang),
    category: (a, b) => String(a.properties.category).localeCompare(String(b.properties.category)) || a.distance - b.distance,
  }[view.sort];
  return list.sort(by);
}

/**
 * The legend: every category present, its colour and shape, its count under
 * the filters; a click hides or shows it and calls `changed`.
 */
export function renderLegend(categories, assets, changed) {
  const counts = {};
  for (const f of matchingFilters(assets)) counts[f.properties.category] = (counts[f.properties.category] || 0) + 1;
  const present = new Set(assets.map((f) => f.properties.category));
  const legend = $('legend');
  legend.replaceChildren();
  for (const id of Object.keys(categories).filter((c) => present.has(c))) {
    const c = categories[id];
    const b = el('button', null, 'legend-entry');
    b.type = 'button';
    b.dataset.category = id;
    b.setAttribute('aria-pressed', String(!view.hidden.has(id)));
    const sw = b.appendChild(el('span', null, 'swatch shape-' + shapeOf(c)));
    sw.style.backgroundColor = c.color;
    sw.setAttribute('aria-hidden', 'true');
    b.appendChild(el('span', c.label + ' '));
    b.appendChild(el('span', '(' + (counts[id] || 0) + ')', 'legend-count'));
    b.addEventListener('click', () => {
      if (view.hidden.has(id)) view.hidden.delete(id); else view.hidden.add(id);
      changed();
    });
    legend.appendChild(el('li')).appendChild(b);
  }
}

/** The list of what is shown; Enter, Space or a click calls `open(id)`. */
export function renderList(categories, visible, total, selectedId, open) {
  const list = $('list');
  list.replaceChildren();
  for (const f of visible) {
    const c = categories[f.properties.category] || { label: f.properties.category };
    const li = el('li');
    li.tabIndex = 0;
    li.dataset.id = f.id;
    li.appendChild(el('strong', displayName(f)));
    const p = partnerships.get(f.id);
    if (p) li.appendChild(el('span', partnerLabel(p), 'partner-badge'));
    li.appendChild(el('span', ' · ' + c.label + ' · ' + km(f.distance), 'meta'));
    if (f.properties.address) li.appendChild(el('span', f.properties.address, 'address'));
    if (f.properties.phone) li.appendChild(el('span', f.properties.phone, 'address print-only'));
    const words = f.properties.hours_text && (f.properties.hours_text[lang] || f.properties.hours_text.en);
    if (words) li.appendChild(el('span', t('hours.week', { hours: words }), 'address hours'));
    if (f.id === selectedId) li.setAttribute('aria-current', 'true');
    li.addEventListener('click', () => open(f.id));
    li.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(f.id); }
    });
    list.appendChild(li);
  }
  $('count').textContent = visible.length !== total ? t('map.count.some', { shown: visible.length, total }) : t('map.count.all', { shown: visible.length });
}

/** Marks the list entry of `id` as current, scrolling to it when asked. */
export function markSelected(id, scroll) {
  document.querySelectorAll('#list li[aria-current]').forEach((li) => li.removeAttribute('aria-current'));
  const li = document.querySelector('#list li[data-id="' + CSS.escape(id) + '"]');
  if (li) {
    li.setAttribute('aria-current', 'true');
    if (scroll) li.scrollIntoView({ block: 'nearest' });
  }
}
