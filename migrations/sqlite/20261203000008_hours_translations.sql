-- Opening hours as an OpenStreetMap `opening_hours` value (the free-text
-- `hours` note stays beside it), and the asset's own text in other languages:
-- {"es": {"name": …, "description": …, "hours": …}, …}.
ALTER TABLE assets ADD COLUMN opening_hours TEXT;
ALTER TABLE assets ADD COLUMN translations TEXT NOT NULL DEFAULT '{}';
