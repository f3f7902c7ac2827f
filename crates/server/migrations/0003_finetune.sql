-- labelmint-server schema, version 3: buyers' fine-tuning requests.

-- A fine-tuning task a buyer started through this server at the configured
-- 0G provider (broker); its state lives at the provider, which the status
-- endpoint asks. Kept so a buyer finds its tasks again on any browser.
CREATE TABLE finetune_tasks (
    id AUTOID,
    address TEXT NOT NULL,
    dataset_id BIGINT NOT NULL,
    task_id TEXT NOT NULL,
    model TEXT NOT NULL,
    model_hash TEXT NOT NULL,
    dataset_root TEXT NOT NULL,
    fee TEXT NOT NULL,
    training_params TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (address, task_id)
);
CREATE INDEX finetune_tasks_by_address ON finetune_tasks (address, dataset_id);
