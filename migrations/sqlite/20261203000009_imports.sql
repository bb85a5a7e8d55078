-- Every import (who, when, which file, what it did), and each row it wrote
-- with the row as it was before (JSON; NULL for a row it inserted), so that
-- an import can be undone as a whole.
CREATE TABLE imports (
    id         TEXT PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL,
    file       TEXT NOT NULL,
    by_name    TEXT NOT NULL,
    at         TEXT NOT NULL,
    inserted   INTEGER NOT NULL DEFAULT 0,
    updated    INTEGER NOT NULL DEFAULT 0,
    unchanged  INTEGER NOT NULL DEFAULT 0,
    skipped    INTEGER NOT NULL DEFAULT 0,
    warnings   INTEGER NOT NULL DEFAULT 0,
    undone_at  TEXT
);

CREATE TABLE import_rows (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('asset', 'school', 'catchment')),
    row_id    TEXT NOT NULL,
    -- The asset's version as the import left it: a later change keeps it.
    version   INTEGER,
    before    TEXT
);
CREATE INDEX import_rows_import ON import_rows (import_id);
CREATE INDEX import_rows_row ON import_rows (kind, row_id);
