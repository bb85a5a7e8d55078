-- Tokens that expire or are revoked, and the audit log of operators' actions
-- that are not changes to an asset (revoking, rotating a token).
ALTER TABLE users ADD COLUMN expires_at timestamptz;
ALTER TABLE users ADD COLUMN revoked_at timestamptz;

CREATE TABLE audit_log (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL,
    user_id uuid,
    action  text NOT NULL,
    target  text NOT NULL,
    detail  jsonb NOT NULL DEFAULT '{}'
);
