// Downloads of what the page shows: GeoJSON and CSV made in the browser.

/** Offers `text` as a file. */
export function download(name, type, text) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

/** A cell for a spreadsheet: quoted, and never read as a formula. */
export function csvCell(v) {
  let s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join('; ') : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return '"' + s.replace(/"/g, '""') + '"';
}

/** Features as a GeoJSON FeatureCollection text. */
export function geojsonText(features) {
  return JSON.stringify({
    type: 'FeatureCollection',
    features: features.map((f) => ({ type: 'Feature', id: f.id, geometry: f.geometry, properties: f.properties })),
  });
}

const COLUMNS = ['id', 'name', 'category', 'address', 'phone', 'email', 'website', 'hours', 'languages', 'last_verified', 'distance_m', 'longitude', 'latitude'];

/** Features (with their `distance`) as CSV text. */
export function csvText(features) {
  const value = (f, c) => (c === 'id' ? f.id
    : c === 'distance_m' ? Math.round(f.distance)
      : c === 'longitude' ? f.geometry.coordinates[0]
        : c === 'latitude' ? f.geometry.coordinates[1]
          : f.properties[c]);
  const rows = features.map((f) => COLUMNS.map((c) => csvCell(value(f, c))).join(','));
  return [COLUMNS.join(',')].concat(rows).join('\r\n') + '\r\n';
}
