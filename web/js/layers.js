// Map layers: category markers (colour per category, shape per community-schools
// pillar), popups, the school's area outline or radius ring, and the campus.

import { el } from './dom.js';
import { km, miles, MILE } from './distance.js';
import { t, lang, languageName, date } from './i18n.js';

// One marker shape per community-schools pillar.
export const SHAPES = {
  integrated_student_supports: 'circle',
  family_and_community_engagement: 'square',
  extended_learning: 'diamond',
  collaborative_leadership: 'triangle',
};

export const shapeOf = (category) => SHAPES[category && category.pillars && category.pillars[0]] || 'circle';

let IconClass;

/** A marker icon for a category (outlined for a partner of the school); its colour is set through the CSSOM (allowed by the CSP). */
export function iconFor(categories, category, partner) {
  if (!IconClass) {
    IconClass = L.DivIcon.extend({
      createIcon(old) {
        const icon = L.DivIcon.prototype.createIcon.call(this, old);
        icon.style.backgroundColor = this.options.color;
        return icon;
      },
    });
  }
  const c = categories[category] || { color: '#333', pillars: [] };
  return new IconClass({ className: 'asset-icon shape-' + shapeOf(c) + (partner ? ' partner-icon' : ''), iconSize: [16, 16], color: c.color });
}

/** The details of an asset, as DOM (text only). `distance` is shown when given. */
export function popupFor(categories, f, distance) {
  const p = f.properties, box = el('div', null, 'popup');
  const mine = (p.translations || {})[lang] || {};
  box.appendChild(el('h3', mine.name || p.name));
  box.appendChild(el('p', (categories[p.category] || {}).label || p.category, 'meta'));
  if (p.address) box.appendChild(el('p', p.address));
  if (p.phone) {
    const a = el('a', p.phone);
    a.href = 'tel:' + p.phone.replace(/[^0-9+]/g, '');
    box.appendChild(el('p')).appendChild(a);
  }
  if (p.website && /^https?:\/\//i.test(p.website)) {
    const a = el('a', t('popup.website'));
    a.href = p.website;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    box.appendChild(el('p')).appendChild(a);
  }
  if (mine.description || p.description) box.appendChild(el('p', mine.description || p.description, 'description'));
  for (const line of hoursLines(p, mine)) box.appendChild(el('p', line, 'hours'));
  if (p.languages && p.languages.length) box.appendChild(el('p', t('popup.languages', { list: p.languages.map(languageName).join(', ') })));
  box.appendChild(el('p', p.last_verified ? t('popup.verified', { date: date(p.last_verified) }) : t('popup.unverified'), 'meta'));
  if (distance !== undefined) box.appendChild(el('p', t('popup.distance', { km: km(distance), mi: miles(distance) }), 'meta'));
  return box;
}

/** An asset's hours for people: open now or not, the week in words, the note. */
export function hoursLines(p, mine) {
  const out = [];
  if (p.open_now === true) out.push(t('hours.open_now'));
  else if (p.open_now === false) out.push(t('hours.closed_now'));
  const words = p.hours_text && (p.hours_text[lang] || p.hours_text.en);
  if (words) out.push(t('hours.week', { hours: words }));
  const note = (mine && mine.hours) || p.hours;
  if (note) out.push(t('hours.note', { note }));
  return out;
}

/**
 * Draws the school's area into `layer`: the catchment outline, and the radius
 * ring when a radius (in miles) is chosen, and the campus. Returns the bounds
 * to fit.
 */
export function drawArea(layer, school, area, radius) {
  const campus = school.geometry.coordinates;
  let bounds;
  if (area) {
    const outline = L.geoJSON(area, { interactive: false, style: { color: '#12355b', weight: 2, fillOpacity: radius ? 0.02 : 0.06 } }).addTo(layer);
    bounds = outline.getBounds();
  }
  if (radius) {
    const ring = L.circle([campus[1], campus[0]], { radius: Number(radius) * MILE, interactive: false, color: '#b35900', weight: 2, dashArray: '6 4', fillOpacity: 0.04 }).addTo(layer);
    bounds = ring.getBounds();
  }
  L.marker([campus[1], campus[0]], { icon: L.divIcon({ className: 'campus-icon', iconSize: [18, 18] }), title: t('map.campus.title', { name: school.properties.name }), zIndexOffset: 1000 })
    .bindPopup(() => { const b = el('div', null, 'popup'); b.appendChild(el('h3', school.properties.name)); b.appendChild(el('p', t('map.campus'), 'meta')); return b; })
    .addTo(layer);
  return bounds;
}
