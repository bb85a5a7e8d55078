// The page's language: the address's `lang=`, else the browser's languages,
// else English. Messages come from the same catalogs the server uses
// (/static/i18n/<code>.json; adding a language is adding a file there);
// numbers, distances and dates are written by Intl for the language.

export let lang = 'en';
let messages = {};
let english = {};
let languages = [{ code: 'en', name: 'English' }];

const load = async (code) => {
  const r = await fetch('/static/i18n/' + code + '.json');
  return r.ok ? r.json() : {};
};

/** A message with `{name}` placeholders filled in; English when missing. */
export function t(key, args) {
  let s = messages[key] ?? english[key] ?? key;
  for (const [k, v] of Object.entries(args || {})) s = s.split('{' + k + '}').join(String(v));
  return s;
}

/** Text, placeholders and labels of the elements marked with data-i18n*. */
export function translate(root) {
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const attr of ['placeholder', 'aria-label', 'title']) {
    const data = 'data-i18n-' + attr;
    for (const e of root.querySelectorAll('[' + data + ']')) e.setAttribute(attr, t(e.getAttribute(data)));
  }
}

/** A number for the language. */
export const number = (n, digits) =>
  new Intl.NumberFormat(lang, { maximumFractionDigits: digits ?? 0, minimumFractionDigits: digits ?? 0 }).format(n);

/** Metres for people: m under 1 km, else km with one decimal. */
export const distance = (m) => (m < 1000 ? number(Math.round(m)) + ' m' : number(m / 1000, 1) + ' km');

/** A date (YYYY-MM-DD or a Date) for the language. */
export const date = (d) =>
  new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeZone: 'UTC' }).format(typeof d === 'string' ? new Date(d + 'T00:00:00Z') : d);

/** A language's own name ("español"), for the language filters. */
export function languageName(code) {
  try {
    return new Intl.DisplayNames([lang], { type: 'language' }).of(code) || code;
  } catch {
    return code;
  }
}

/** `url` with the page's language added, for API calls whose answers have words. */
export const withLang = (url) => url + (url.includes('?') ? '&' : '?') + 'lang=' + lang;

function choose(available) {
  const codes = available.map((l) => l.code);
  const asked = new URL(window.location.href).searchParams.get('lang');
  const wanted = [asked, ...(navigator.languages || [navigator.language])].filter(Boolean);
  for (const w of wanted) {
    const primary = w.toLowerCase().split('-')[0];
    if (codes.includes(primary)) return primary;
  }
  return 'en';
}

/** The picker of the page's language, into the element with id `lang-picker`. */
function picker() {
  const box = document.getElementById('lang-picker');
  if (!box) return;
  const id = 'ui-lang';
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = t('page.language');
  const sel = document.createElement('select');
  sel.id = id;
  for (const l of languages) {
    const o = document.createElement('option');
    o.value = l.code;
    o.textContent = l.name;
    o.lang = l.code;
    sel.appendChild(o);
  }
  sel.value = lang;
  sel.addEventListener('change', () => {
    const url = new URL(window.location.href);
    url.searchParams.set('lang', sel.value);
    window.location.assign(url);
  });
  box.replaceChildren(label, sel);
}

/** Decides the language, loads its messages, translates the page and adds the picker. */
export async function initI18n() {
  try {
    const cfg = await (await fetch('/config.json')).json();
    if (Array.isArray(cfg.languages) && cfg.languages.length) languages = cfg.languages;
  } catch {
    // The page still works in English.
  }
  lang = choose(languages);
  english = await load('en');
  messages = lang === 'en' ? english : await load(lang);
  document.documentElement.lang = lang;
  if (messages['page.title.' + document.body.dataset.page]) document.title = t('page.title.' + document.body.dataset.page);
  translate(document);
  picker();
}
