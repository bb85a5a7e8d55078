-- assetmap schema for the embedded SQLite store.
-- Geometry is kept as lon/lat columns (points) and GeoJSON text (areas); the
-- in-memory R-tree does the spatial work.

CREATE TABLE assets (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    category      TEXT NOT NULL,
    description   TEXT,
    address       TEXT,
    phone         TEXT,
    email         TEXT,
    website       TEXT,
    languages     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(languages)),
    hours         TEXT,
    accessibility TEXT,
    ages_served   TEXT,
    services      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(services)),
    source        TEXT,
    source_id     TEXT,
    last_verified TEXT,
    status        TEXT NOT NULL CHECK (status IN ('approved', 'pending', 'rejected')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    lon           REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat           REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    extra         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(extra))
);

-- Re-imports are keyed by provenance.
CREATE UNIQUE INDEX assets_provenance ON assets (coalesce(source, ''), source_id)
    WHERE source_id IS NOT NULL;
CREATE INDEX assets_status ON assets (status);

CREATE TABLE schools (
    id          TEXT PRIMARY KEY NOT NULL,
    external_id TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    level       TEXT,
    lon         REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat         REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    extra       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(extra))
);

CREATE TABLE catchments (
    id        TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools (id) ON DELETE CASCADE,
    year      TEXT NOT NULL,
    geometry  TEXT NOT NULL CHECK (json_valid(geometry)),
    UNIQUE (school_id, year)
);
