-- Address points a district loads once (`assetmap import addresses`, the
-- OpenAddresses layout), streets normalized, to place addresses without a
-- geocoding service; and the answers of an outside geocoder, kept so that no
-- address is asked twice.
CREATE TABLE address_points (
    street   TEXT NOT NULL,
    number   TEXT NOT NULL,
    unit     TEXT NOT NULL DEFAULT '',
    city     TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    lon      REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat      REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    PRIMARY KEY (street, number, unit, city, postcode)
);

CREATE TABLE geocodes (
    query   TEXT PRIMARY KEY NOT NULL,
    lon     REAL,
    lat     REAL,
    quality TEXT NOT NULL CHECK (quality IN ('exact', 'interpolated', 'street', 'none')),
    at      TEXT NOT NULL
);
