-- A version per asset row, raised by every committed change to the asset or
-- to its proposal awaiting review: ETag / If-Match, reviewers' approvals of
-- what they saw, and the index applying changes in commit order.
ALTER TABLE assets ADD COLUMN version bigint NOT NULL DEFAULT 1;

-- A change made outside assetmap (psql, QGIS) raises the version too, so that
-- every server's index takes it (it ignores versions it has already seen).
CREATE FUNCTION assetmap_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = OLD.version THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER assets_version BEFORE UPDATE ON assets
    FOR EACH ROW EXECUTE FUNCTION assetmap_version();
