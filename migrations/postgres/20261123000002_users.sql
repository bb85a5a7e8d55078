-- People and organizations who may write, each with a bearer token stored only as its SHA-256.
CREATE TABLE users (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    role       text NOT NULL CHECK (role IN ('admin', 'editor', 'organization')),
    token_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);
