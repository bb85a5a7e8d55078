// What the map page shows, mirrored in the URL so a copied link opens the
// same view.

export const view = { school: '', year: '', radius: '', hidden: new Set(), language: '', open: new Set(), q: '', sort: 'distance', partners: '' };

/** Fills `view` from the address bar. */
export function readURL() {
  const p = new URL(window.location.href).searchParams;
  view.school = p.get('school') || '';
  view.year = p.get('year') || '';
  view.radius = ['0.5', '1', '2'].includes(p.get('radius')) ? p.get('radius') : '';
  view.hidden = new Set((p.get('hide') || '').split(',').filter(Boolean));
  view.language = p.get('language') || '';
  view.open = new Set((p.get('open') || '').split(',').filter((o) => ['now', 'evening', 'weekend'].includes(o)));
  view.uiLang = p.get('lang') || '';
  view.q = p.get('q') || '';
  view.sort = ['distance', 'name', 'category'].includes(p.get('sort')) ? p.get('sort') : 'distance';
  view.partners = ['yes', 'no'].includes(p.get('partners')) ? p.get('partners') : '';
}

/** Writes `view` into the address bar without a new history entry. */
export function writeURL() {
  const url = new URL(window.location.href);
  url.search = '';
  const set = (k, v) => { if (v) url.searchParams.set(k, v); };
  set('school', view.school);
  set('year', view.year);
  set('radius', view.radius);
  set('hide', [...view.hidden].sort().join(','));
  set('language', view.language);
  set('open', [...view.open].sort().join(','));
  set('lang', view.uiLang);
  set('q', view.q);
  if (view.sort !== 'distance') set('sort', view.sort);
  set('partners', view.partners);
  history.replaceState(null, '', url);
}
