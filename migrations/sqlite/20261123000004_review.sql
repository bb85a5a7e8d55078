-- Who owns a listing, proposed changes awaiting review, and the history of every change.
CREATE TABLE asset_owners (
    asset_id TEXT PRIMARY KEY NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL REFERENCES users (id)
);
CREATE INDEX asset_owners_owner ON asset_owners (owner_id);

CREATE TABLE asset_revisions (
    asset_id     TEXT PRIMARY KEY NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    submitted_by TEXT NOT NULL REFERENCES users (id),
    feature      TEXT NOT NULL CHECK (json_valid(feature)),
    submitted_at TEXT NOT NULL
);

-- Kept after an asset is deleted: the record of what happened to it.
CREATE TABLE asset_history (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id TEXT NOT NULL,
    user_id  TEXT,
    at       TEXT NOT NULL,
    action   TEXT NOT NULL,
    changes  TEXT NOT NULL CHECK (json_valid(changes))
);
CREATE INDEX asset_history_asset ON asset_history (asset_id, id);
