-- People and organizations who may write, each with a bearer token stored only as its SHA-256.
CREATE TABLE users (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role       TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'organization')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
