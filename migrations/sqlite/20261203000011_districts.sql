-- no-transaction
-- Several districts in one service: a school belongs to a district ('' is the
-- default district, so one district's service is unchanged) and its id is
-- unique within the district only; imports name their district; editors may
-- be limited to districts.
--
-- SQLite cannot drop the old UNIQUE (external_id), so the table is rebuilt as
-- SQLite's documentation says (foreign keys off meanwhile, so that the rows
-- that refer to schools stay; checked before the commit).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE schools_new (
    id          TEXT PRIMARY KEY NOT NULL,
    district    TEXT NOT NULL DEFAULT '',
    external_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    level       TEXT,
    lon         REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat         REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    extra       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(extra)),
    UNIQUE (district, external_id)
);
INSERT INTO schools_new (id, district, external_id, name, level, lon, lat, extra)
    SELECT id, '', external_id, name, level, lon, lat, extra FROM schools;
DROP TABLE schools;
ALTER TABLE schools_new RENAME TO schools;
ALTER TABLE imports ADD COLUMN district TEXT NOT NULL DEFAULT '';
CREATE TABLE user_districts (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    district TEXT NOT NULL,
    PRIMARY KEY (user_id, district)
);
COMMIT;
PRAGMA foreign_keys = ON;
