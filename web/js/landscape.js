// The landscape of a school's area: what each category holds and the nearest
// of each, and the plain statements of what is missing.

import { $, el } from './dom.js';
import { km } from './distance.js';
import { t } from './i18n.js';

/** Shows a school's summary (from /schools/{id}/summary) under its title. */
export function renderSummary(title, areaWords, summary) {
  $('summary-title').textContent = title;
  $('summary-area').textContent = areaWords;
  const body = $('landscape').querySelector('tbody');
  body.replaceChildren();
  for (const c of summary.categories) {
    // Categories absent from the data altogether are stated under "What is missing".
    if (c.count === 0 && !c.nearest) continue;
    const tr = el('tr');
    tr.appendChild(el('th', c.label)).scope = 'row';
    tr.appendChild(el('td', c.count.toLocaleString(document.documentElement.lang)));
    tr.appendChild(el('td', c.nearest ? c.nearest.name + ' · ' + km(c.nearest.distance_m) : t('map.landscape.none')));
    body.appendChild(tr);
  }
  $('landscape').hidden = false;
  const gaps = $('gaps');
  gaps.replaceChildren();
  for (const g of summary.gaps) gaps.appendChild(el('li', g.statement));
  $('gaps-title').hidden = summary.gaps.length === 0;
}

/** Clears the summary back to the district view's invitation. */
export function clearSummary() {
  $('summary-title').textContent = t('map.pick');
  $('summary-area').textContent = t('map.pick.help');
  $('landscape').hidden = true;
  $('gaps').replaceChildren();
  $('gaps-title').hidden = true;
}
