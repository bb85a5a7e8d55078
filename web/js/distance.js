// Distances for people: metres and kilometres, miles (numbers written for the
// page's language), and great-circle metres.

import { number, distance } from './i18n.js';

export const MILE = 1609.344;

/** Metres under 1 km, else km with one decimal. */
export const km = (m) => distance(m);

/** Miles, two decimals under a mile. */
export const miles = (m) => number(m / MILE, m < MILE ? 2 : 1) + ' mi';

/** Great-circle metres between two [lon, lat] points. */
export function haversine(a, b) {
  const R = 6371008.8, rad = Math.PI / 180;
  const dp = (b[1] - a[1]) * rad, dl = (b[0] - a[0]) * rad;
  const h = Math.sin(dp / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dl / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}
