-- Who owns a listing, proposed changes awaiting review, and the history of every change.
CREATE TABLE asset_owners (
    asset_id uuid PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    owner_id uuid NOT NULL REFERENCES users (id)
);
CREATE INDEX asset_owners_owner ON asset_owners (owner_id);

CREATE TABLE asset_revisions (
    asset_id     uuid PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    submitted_by uuid NOT NULL REFERENCES users (id),
    feature      jsonb NOT NULL,
    submitted_at timestamptz NOT NULL
);

-- Kept after an asset is deleted: the record of what happened to it.
CREATE TABLE asset_history (
    id       bigserial PRIMARY KEY,
    asset_id uuid NOT NULL,
    user_id  uuid,
    at       timestamptz NOT NULL,
    action   text NOT NULL,
    changes  jsonb NOT NULL
);
CREATE INDEX asset_history_asset ON asset_history (asset_id, id);
