-- no-transaction
-- School staff (role 'school', bound to their schools), schools' partnerships
-- with the organizations behind assets, their contact log and their history.
-- SQLite cannot change a CHECK in place: the users table is rebuilt with
-- foreign keys off (SQLite's documented procedure), inside one transaction.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE users_new (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role       TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'organization', 'school')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
INSERT INTO users_new (id, name, role, token_hash, created_at)
    SELECT id, name, role, token_hash, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

CREATE TABLE user_schools (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    school_id TEXT NOT NULL REFERENCES schools (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, school_id)
);

CREATE TABLE partnerships (
    id         TEXT PRIMARY KEY NOT NULL,
    school_id  TEXT NOT NULL REFERENCES schools (id) ON DELETE CASCADE,
    asset_id   TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    -- status, public, contact, agreement dates, provides, pillars
    fields     TEXT NOT NULL CHECK (json_valid(fields) AND json_type(fields) = 'object'),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (school_id, asset_id)
);

CREATE TABLE partnership_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    partnership_id TEXT NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    entry          TEXT NOT NULL CHECK (json_valid(entry) AND json_type(entry) = 'object')
);
CREATE INDEX partnership_log_partnership ON partnership_log (partnership_id, id);

-- Kept after a partnership is deleted, like an asset's history.
CREATE TABLE partnership_history (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    partnership_id TEXT NOT NULL,
    user_id        TEXT,
    at             TEXT NOT NULL,
    action         TEXT NOT NULL,
    changes        TEXT NOT NULL CHECK (json_valid(changes))
);
CREATE INDEX partnership_history_partnership ON partnership_history (partnership_id, id);

PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
