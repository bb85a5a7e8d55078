-- Several districts in one service: a school belongs to a district ('' is the
-- default district, so one district's service is unchanged) and its id is
-- unique within the district only; imports name their district; editors may
-- be limited to districts.
ALTER TABLE schools ADD COLUMN district text NOT NULL DEFAULT '';
ALTER TABLE schools DROP CONSTRAINT schools_external_id_key;
ALTER TABLE schools ADD CONSTRAINT schools_district_external_id_key UNIQUE (district, external_id);
ALTER TABLE imports ADD COLUMN district text NOT NULL DEFAULT '';
CREATE TABLE user_districts (
    user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    district text NOT NULL,
    PRIMARY KEY (user_id, district)
);
