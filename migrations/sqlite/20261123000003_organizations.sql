-- Community organizations that signed up; each is a user with the role 'organization'.
CREATE TABLE organizations (
    user_id      TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    email        TEXT NOT NULL,
    phone        TEXT,
    website      TEXT,
    created_at   TEXT NOT NULL
);
