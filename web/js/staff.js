// School staff's sign-in on the page: the token typed in is kept in this tab's
// sessionStorage only (gone when the tab closes), and sent as a bearer token.

const KEY = 'assetmap.staff-token';

/** The token of this tab, or ''. */
export const token = () => sessionStorage.getItem(KEY) || '';

/** Keeps (or, given '', forgets) the token for this tab. */
export function setToken(t) {
  if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY);
}

/** GET as JSON with the token when there is one; answers { ok, status, data }. */
export async function getAuthed(url) {
  const headers = { Accept: 'application/json' };
  if (token()) headers.Authorization = 'Bearer ' + token();
  const r = await fetch(url, { headers });
  return { ok: r.ok, status: r.status, data: await r.json().catch(() => null) };
}
