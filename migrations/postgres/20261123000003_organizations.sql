-- Community organizations that signed up; each is a user with the role 'organization'.
CREATE TABLE organizations (
    user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    contact_name text NOT NULL,
    email        text NOT NULL,
    phone        text,
    website      text,
    created_at   timestamptz NOT NULL
);
