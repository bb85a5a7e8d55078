-- Address points a district loads once (`assetmap import addresses`, the
-- OpenAddresses layout), streets normalized, to place addresses without a
-- geocoding service; and the answers of an outside geocoder, kept so that no
-- address is asked twice.
CREATE TABLE address_points (
    street   text NOT NULL,
    number   text NOT NULL,
    unit     text NOT NULL DEFAULT '',
    city     text NOT NULL DEFAULT '',
    postcode text NOT NULL DEFAULT '',
    lon      double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat      double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    PRIMARY KEY (street, number, unit, city, postcode)
);

CREATE TABLE geocodes (
    query   text PRIMARY KEY,
    lon     double precision,
    lat     double precision,
    quality text NOT NULL CHECK (quality IN ('exact', 'interpolated', 'street', 'none')),
    at      timestamptz NOT NULL
);
