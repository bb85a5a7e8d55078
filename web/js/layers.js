// Map layers: category markers (colour per category, shape per community-schools
// pillar), popups, the school's area outline or radius ring, and the campus.

import { el } from './dom.js';
import { km, miles, MILE } from './distance.js';

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
  if (distance !== undefined) box.appendChild(el('p', km(distance) + ' (' + miles(distance) + ') from the campus', 'meta'));
  return box;
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
  L.marker([campus[1], campus[0]], { icon: L.divIcon({ className: 'campus-icon', iconSize: [18, 18] }), title: school.properties.name + ' (campus)', zIndexOffset: 1000 })
    .bindPopup(() => { const b = el('div', null, 'popup'); b.appendChild(el('h3', school.properties.name)); b.appendChild(el('p', 'Campus', 'meta')); return b; })
    .addTo(layer);
  return bounds;
}
