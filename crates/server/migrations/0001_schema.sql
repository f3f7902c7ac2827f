-- labelmint-server schema, version 1. Written once for both backends:
-- `AUTOID` is replaced by the backend's auto-increment primary key
-- (SQLite: INTEGER PRIMARY KEY AUTOINCREMENT, PostgreSQL: BIGSERIAL PRIMARY KEY).
-- Booleans are 0/1 integers, amounts decimal text, hashes and addresses
-- lowercase 0x-hex text, times in milliseconds (or chain seconds where named).

-- Indexer: the last indexed block and the hashes it saw (reorg detection).
CREATE TABLE indexer_cursor (
    id BIGINT PRIMARY KEY,
    block BIGINT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE blocks (
    number BIGINT PRIMARY KEY,
    hash TEXT NOT NULL,
    time BIGINT NOT NULL
);

-- Every decoded event of every program, idempotent by (block, log_index).
CREATE TABLE events (
    id AUTOID,
    block BIGINT NOT NULL,
    block_hash TEXT NOT NULL,
    log_index BIGINT NOT NULL,
    tx_hash TEXT NOT NULL,
    block_time BIGINT NOT NULL,
    program TEXT NOT NULL,
    name TEXT NOT NULL,
    job_id BIGINT,
    batch_id BIGINT,
    dataset_id BIGINT,
    fields TEXT NOT NULL,
    UNIQUE (block, log_index)
);
CREATE INDEX events_job ON events (job_id, name);
CREATE INDEX events_dataset ON events (dataset_id, name);
CREATE TABLE event_accounts (
    event_id BIGINT NOT NULL,
    account TEXT NOT NULL,
    block BIGINT NOT NULL,
    PRIMARY KEY (event_id, account)
);
CREATE INDEX event_accounts_account ON event_accounts (account, event_id);

-- Jobs (JobCreated + the immutable terms getJob reports).
CREATE TABLE jobs (
    job_id BIGINT PRIMARY KEY,
    creator TEXT NOT NULL,
    token TEXT NOT NULL,
    data_root TEXT NOT NULL,
    metadata_hash TEXT NOT NULL,
    task_count BIGINT NOT NULL,
    reward TEXT NOT NULL,
    escrow TEXT NOT NULL,
    schema_id BIGINT NOT NULL,
    num_classes BIGINT NOT NULL,
    claim_duration BIGINT NOT NULL,
    submit_deadline BIGINT NOT NULL,
    review_window BIGINT NOT NULL,
    max_held BIGINT NOT NULL,
    arbiter_terms BIGINT NOT NULL,
    block BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_creator ON jobs (creator);

-- Datasets (DatasetPublished + getDataset).
CREATE TABLE datasets (
    dataset_id BIGINT PRIMARY KEY,
    publisher TEXT NOT NULL,
    root_hash TEXT NOT NULL,
    metadata_hash TEXT NOT NULL,
    data_root TEXT NOT NULL,
    format BIGINT NOT NULL,
    price TEXT NOT NULL,
    payment_token TEXT NOT NULL,
    source TEXT NOT NULL,
    source_job_id BIGINT NOT NULL,
    previous_version BIGINT NOT NULL,
    royalty_bps BIGINT NOT NULL,
    fee_bps BIGINT NOT NULL,
    shares BIGINT NOT NULL,
    is_external BIGINT NOT NULL,
    block BIGINT NOT NULL,
    published_at BIGINT NOT NULL
);

-- Balances of accounts the indexer saw paid or paying.
CREATE TABLE balances (
    address TEXT NOT NULL,
    asset TEXT NOT NULL,
    amount TEXT NOT NULL,
    block BIGINT NOT NULL,
    PRIMARY KEY (address, asset)
);

-- Sign-in with Ethereum: nonces (single use) and sessions (token hashes).
CREATE TABLE siwe_nonces (
    nonce TEXT PRIMARY KEY,
    expires_at_ms BIGINT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);

-- The outbox: every accepted signed batch, until mined or failed.
CREATE TABLE submissions (
    id AUTOID,
    annotator TEXT NOT NULL,
    job_id BIGINT NOT NULL,
    task_ids TEXT NOT NULL,
    payload TEXT NOT NULL,
    nonce TEXT NOT NULL,
    deadline BIGINT NOT NULL,
    signature TEXT NOT NULL,
    calldata TEXT NOT NULL,
    gas_limit BIGINT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    lease_until_ms BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_ms BIGINT NOT NULL,
    relayer TEXT,
    tx_nonce BIGINT,
    raw_tx TEXT,
    tx_hash TEXT,
    tx_hashes TEXT,
    batch_id BIGINT,
    block BIGINT,
    error_code TEXT,
    error_message TEXT,
    accepted_at_ms BIGINT NOT NULL,
    sent_at_ms BIGINT,
    mined_at_ms BIGINT,
    updated_at_ms BIGINT NOT NULL,
    UNIQUE (annotator, nonce)
);
CREATE INDEX submissions_due ON submissions (status, next_attempt_ms);
CREATE INDEX submissions_annotator ON submissions (annotator, id);
CREATE INDEX submissions_relayer ON submissions (relayer, tx_nonce);

-- Work leases between server instances (the indexer).
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until_ms BIGINT NOT NULL
);

-- What each signed-in address is told live (read by every instance).
CREATE TABLE feed (
    id AUTOID,
    address TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

-- Content roots anyone may fetch (task data, manifests, batch files);
-- dataset packages are not here: they need a licence.
CREATE TABLE public_roots (
    root TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    size BIGINT NOT NULL
);
