-- School staff (role 'school', bound to their schools), schools' partnerships
-- with the organizations behind assets, their contact log and their history.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'editor', 'organization', 'school'));

CREATE TABLE user_schools (
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    school_id uuid NOT NULL REFERENCES schools (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, school_id)
);

CREATE TABLE partnerships (
    id         uuid PRIMARY KEY,
    school_id  uuid NOT NULL REFERENCES schools (id) ON DELETE CASCADE,
    asset_id   uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    -- status, public, contact, agreement dates, provides, pillars
    fields     jsonb NOT NULL CHECK (jsonb_typeof(fields) = 'object'),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (school_id, asset_id)
);

CREATE TABLE partnership_log (
    id             bigserial PRIMARY KEY,
    partnership_id uuid NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    entry          jsonb NOT NULL CHECK (jsonb_typeof(entry) = 'object')
);
CREATE INDEX partnership_log_partnership ON partnership_log (partnership_id, id);

-- Kept after a partnership is deleted, like an asset's history.
CREATE TABLE partnership_history (
    id             bigserial PRIMARY KEY,
    partnership_id uuid NOT NULL,
    user_id        uuid,
    at             timestamptz NOT NULL,
    action         text NOT NULL,
    changes        jsonb NOT NULL
);
CREATE INDEX partnership_history_partnership ON partnership_history (partnership_id, id);
