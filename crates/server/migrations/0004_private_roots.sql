-- labelmint-server schema, version 4: content that is never public.

-- Roots stored as dataset packages (`POST /api/packages`, the packages the
-- server builds): served only with a licence, never as public data, even
-- when a job's manifest names them as task items.
CREATE TABLE private_roots (
    root TEXT PRIMARY KEY,
    kind TEXT NOT NULL
);
