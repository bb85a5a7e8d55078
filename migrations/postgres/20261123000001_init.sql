-- assetmap schema for PostgreSQL with PostGIS: the system of record.
-- Geometry is WGS84 lon/lat (SRID 4326) with GiST indexes, so GIS staff can
-- query, back up and replicate it with their usual tools.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE assets (
    id            uuid PRIMARY KEY,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    category      text NOT NULL,
    description   text,
    address       text,
    phone         text,
    email         text,
    website       text,
    languages     text[] NOT NULL DEFAULT '{}',
    hours         text,
    accessibility text,
    ages_served   text,
    services      text[] NOT NULL DEFAULT '{}',
    source        text,
    source_id     text,
    last_verified date,
    status        text NOT NULL CHECK (status IN ('approved', 'pending', 'rejected')),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    geom          geometry(Point, 4326) NOT NULL
                  CHECK (ST_X(geom) BETWEEN -180 AND 180 AND ST_Y(geom) BETWEEN -90 AND 90),
    extra         jsonb NOT NULL DEFAULT '{}'
);

-- Re-imports are keyed by provenance.
CREATE UNIQUE INDEX assets_provenance ON assets ((coalesce(source, '')), source_id)
    WHERE source_id IS NOT NULL;
CREATE INDEX assets_geom ON assets USING gist (geom);
CREATE INDEX assets_status ON assets (status);

CREATE TABLE schools (
    id          uuid PRIMARY KEY,
    external_id text NOT NULL UNIQUE,
    name        text NOT NULL,
    level       text,
    geom        geometry(Point, 4326) NOT NULL
                CHECK (ST_X(geom) BETWEEN -180 AND 180 AND ST_Y(geom) BETWEEN -90 AND 90),
    extra       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX schools_geom ON schools USING gist (geom);

CREATE TABLE catchments (
    id        uuid PRIMARY KEY,
    school_id uuid NOT NULL REFERENCES schools (id) ON DELETE CASCADE,
    year      text NOT NULL CHECK (year ~ '^[0-9]{4}-[0-9]{4}$'),
    geom      geometry(MultiPolygon, 4326) NOT NULL,
    UNIQUE (school_id, year)
);
CREATE INDEX catchments_geom ON catchments USING gist (geom);

-- Every committed change, by assetmap or by anyone else (QGIS, psql), is
-- announced on the channel `assetmap_changes` so that every server's in-memory
-- index follows within moments. The payload names the table and the row.
CREATE FUNCTION assetmap_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(
        'assetmap_changes',
        json_build_object(
            'table', TG_TABLE_NAME,
            'op', TG_OP,
            'id', CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END
        )::text
    );
    RETURN NULL;
END;
$$;

CREATE TRIGGER assets_notify AFTER INSERT OR UPDATE OR DELETE ON assets
    FOR EACH ROW EXECUTE FUNCTION assetmap_notify();
CREATE TRIGGER schools_notify AFTER INSERT OR UPDATE OR DELETE ON schools
    FOR EACH ROW EXECUTE FUNCTION assetmap_notify();
CREATE TRIGGER catchments_notify AFTER INSERT OR UPDATE OR DELETE ON catchments
    FOR EACH ROW EXECUTE FUNCTION assetmap_notify();
