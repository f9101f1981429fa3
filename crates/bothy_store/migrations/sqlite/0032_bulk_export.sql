-- Issue 16: bulk export and SMART Backend Services.
--
-- An API client's public keys, each a JWK (RS384 or ES384) named by its
-- `kid`: a client signs its token requests' assertions with the private half.
CREATE TABLE api_client_keys (
    client_id TEXT NOT NULL REFERENCES api_clients (id),
    kid TEXT NOT NULL,
    alg TEXT NOT NULL,
    jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, kid)
);

-- Each assertion's `jti` is used once: kept until the assertion expires,
-- then removed by housekeeping.
CREATE TABLE smart_assertions (
    client_id TEXT NOT NULL REFERENCES api_clients (id),
    jti TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX smart_assertions_expiry ON smart_assertions (expires_at);

-- Short-lived access tokens issued for an assertion: only the token's hash
-- is kept, with the permissions its scopes granted (never more than the
-- client's own).
CREATE TABLE smart_tokens (
    token_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES api_clients (id),
    permissions TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX smart_tokens_expiry ON smart_tokens (expires_at);

-- A bulk export: asked for by one client of one service, run by a job,
-- its NDJSON files kept as rows of bulk_export_files until `expires_at`.
CREATE TABLE bulk_exports (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    client_id TEXT NOT NULL REFERENCES api_clients (id),
    status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed', 'cancelled')),
    request_url TEXT NOT NULL,
    types TEXT NOT NULL,
    since BIGINT,
    transaction_time BIGINT NOT NULL,
    progress TEXT NOT NULL,
    error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX bulk_exports_expiry ON bulk_exports (expires_at);

-- One NDJSON file of an export: at most a fixed number of resources of
-- one type, numbered from 1 in the order written.
CREATE TABLE bulk_export_files (
    export_id TEXT NOT NULL REFERENCES bulk_exports (id),
    seq BIGINT NOT NULL,
    resource_type TEXT NOT NULL,
    count BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (export_id, seq)
);
