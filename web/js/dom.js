// DOM helpers shared by every page. Text from data is only ever set with
// textContent or as an attribute value, never parsed as HTML.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** A new element with optional text (as text, never HTML) and class. */
export function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

/** A value from data as text for a table cell. */
export const show = (v) => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/** Marks the page ready for the browser tests. */
export function ready() {
  document.body.dataset.ready = 'true';
}
