// Talking to the assetmap API: JSON reads, and writes with a bearer token.

/** GET as JSON; a non-2xx answer is an error naming the URL. */
export async function getJSON(url) {
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!r.ok) throw new Error(url + ' answered ' + r.status);
  return r.json();
}

/**
 * Sends a request with a JSON body (GeoJSON for a new Feature) and an optional
 * token; answers { ok, status, data } whatever the status.
 */
export async function send(method, url, body, token) {
  const type = method === 'POST' && url.startsWith('/collections') ? 'application/geo+json' : 'application/json';
  const headers = { 'Content-Type': type };
  if (token) headers.Authorization = 'Bearer ' + token;
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await r.json().catch(() => null);
  return { ok: r.ok, status: r.status, data };
}

/** The problem's words for a failed answer. */
export const problemText = (r) => (r.data && r.data.detail) || r.status;

/** The page settings (tiles) and the taxonomy. */
export const config = () => getJSON('/config.json');
export const categories = (lang) => getJSON('/categories' + (lang ? '?lang=' + encodeURIComponent(lang) : ''));

/** A tile layer from the page settings; a failed tile leaves a plain background. */
export function tiles(cfg, options) {
  return L.tileLayer(cfg.tile_url, Object.assign({ attribution: cfg.tile_attribution }, options || {}));
}
