-- labelmint-server schema, version 2: QualityHub (consensus) jobs.

-- Hub jobs (the hub's JobCreated + the terms getJob and jobAccounts report;
-- every field here is fixed at creation).
CREATE TABLE hub_jobs (
    job_id BIGINT PRIMARY KEY,
    creator TEXT NOT NULL,
    data_root TEXT NOT NULL,
    task_count BIGINT NOT NULL,
    replication BIGINT NOT NULL,
    num_classes BIGINT NOT NULL,
    reward_per_vote TEXT NOT NULL,
    stake_per_vote TEXT NOT NULL,
    quorum_bps BIGINT NOT NULL,
    slash_bps BIGINT NOT NULL,
    min_reputation_bps BIGINT NOT NULL,
    commit_end BIGINT NOT NULL,
    reveal_end BIGINT NOT NULL,
    ruling_end BIGINT NOT NULL,
    settle_end BIGINT NOT NULL,
    arbiter TEXT NOT NULL,
    arbiter_fee TEXT NOT NULL,
    arbiter_terms BIGINT NOT NULL,
    escrow TEXT NOT NULL,
    gold_tasks BIGINT NOT NULL,
    block BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- What the hub does not hold: a job's description (title, instructions,
-- class names), stored content whose root is `metadata_hash`, named by the
-- creator for a data root (so nobody else can describe its jobs).
CREATE TABLE hub_descriptions (
    creator TEXT NOT NULL,
    data_root TEXT NOT NULL,
    metadata_hash TEXT NOT NULL,
    PRIMARY KEY (creator, data_root)
);
