// "Something missing? Tell us": families suggest an asset from the map page.
// The place is a pin set by clicking the map, or typed coordinates (the form
// works from the keyboard alone). No token; the suggestion waits for review.
// A hidden field that people never fill catches bots.

import { $, el } from './dom.js';
import { send, problemText } from './api.js';
import { t } from './i18n.js';

let pin = null;

function setPoint(map, lat, lon) {
  $('s-lat').value = lat.toFixed(6);
  $('s-lon').value = lon.toFixed(6);
  if (pin) pin.setLatLng([lat, lon]); else pin = L.marker([lat, lon], { keyboard: false, title: t('suggest.pin') }).addTo(map);
}

/** Wires the dialog; `center()` gives [lon, lat] to start from (the campus). */
export function initSuggest(map, categories, center) {
  const dialog = $('suggest');
  const select = $('s-category');
  for (const c of Object.values(categories)) select.appendChild(el('option', c.label)).value = c.id;
  let picking = false;
  $('suggest-open').addEventListener('click', () => {
    $('s-message').textContent = '';
    const c = center();
    if (c && !$('s-lat').value) { $('s-lat').value = c[1].toFixed(6); $('s-lon').value = c[0].toFixed(6); }
    dialog.showModal();
    $('s-name').focus();
  });
  $('s-cancel').addEventListener('click', () => dialog.close());
  $('s-pick').addEventListener('click', () => {
    picking = true;
    dialog.close();
    $('status').textContent = t('suggest.click');
    map.getContainer().classList.add('picking');
  });
  map.on('click', (e) => {
    if (!picking) return;
    picking = false;
    map.getContainer().classList.remove('picking');
    setPoint(map, e.latlng.lat, e.latlng.lng);
    $('status').textContent = '';
    dialog.showModal();
    $('s-name').focus();
  });
  $('suggest-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (id) => $(id).value.trim() || undefined;
    const props = {
      name: v('s-name'), category: $('s-category').value, address: v('s-address'), website: v('s-website'),
      phone: v('s-phone'), how_known: v('s-how'), contact: v('s-contact'), nickname: v('s-nickname'),
    };
    const body = { type: 'Feature', geometry: { type: 'Point', coordinates: [Number($('s-lon').value), Number($('s-lat').value)] }, properties: props };
    const r = await send('POST', '/suggestions', body);
    if (!r.ok) { $('s-message').textContent = t('suggest.failed', { problem: problemText(r) }); return; }
    $('suggest-form').reset();
    if (pin) { pin.remove(); pin = null; }
    dialog.close();
    $('status').textContent = t('suggest.thanks');
    $('suggest-open').focus();
  });
}
