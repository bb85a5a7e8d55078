-- Opening hours as an OpenStreetMap `opening_hours` value (the free-text
-- `hours` note stays beside it), and the asset's own text in other languages:
-- {"es": {"name": …, "description": …, "hours": …}, …}.
ALTER TABLE assets ADD COLUMN opening_hours text;
ALTER TABLE assets ADD COLUMN translations jsonb NOT NULL DEFAULT '{}'::jsonb;
