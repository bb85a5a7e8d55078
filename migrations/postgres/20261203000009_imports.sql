-- Every import (who, when, which file, what it did), and each row it wrote
-- with the row as it was before (JSON; NULL for a row it inserted), so that
-- an import can be undone as a whole.
CREATE TABLE imports (
    id         uuid PRIMARY KEY,
    kind       text NOT NULL,
    file       text NOT NULL,
    by_name    text NOT NULL,
    at         timestamptz NOT NULL,
    inserted   bigint NOT NULL DEFAULT 0,
    updated    bigint NOT NULL DEFAULT 0,
    unchanged  bigint NOT NULL DEFAULT 0,
    skipped    bigint NOT NULL DEFAULT 0,
    warnings   bigint NOT NULL DEFAULT 0,
    undone_at  timestamptz
);

CREATE TABLE import_rows (
    seq       bigserial PRIMARY KEY,
    import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    kind      text NOT NULL CHECK (kind IN ('asset', 'school', 'catchment')),
    row_id    uuid NOT NULL,
    -- The asset's version as the import left it: a later change keeps it.
    version   bigint,
    before    jsonb
);
CREATE INDEX import_rows_import ON import_rows (import_id);
CREATE INDEX import_rows_row ON import_rows (kind, row_id);
