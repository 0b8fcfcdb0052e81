-- 0003.audit-records (sqlite): what the audit stores need beyond 0001. Experiments name the model and the two
-- versions they compare; the prediction log; the model stage history; indexes for the audit reads.
-- SQLite adds a NOT NULL column only with a default, so the new experiment columns are nullable here; the store
-- always writes them (the domain record requires them).
-- depends: 0001.initial

ALTER TABLE experiments ADD COLUMN model_name TEXT;
ALTER TABLE experiments ADD COLUMN control_version INTEGER;
ALTER TABLE experiments ADD COLUMN candidate_version INTEGER;

CREATE INDEX experiments_created_at ON experiments (created_at, id);

CREATE INDEX experiment_outcomes_observed ON experiment_outcomes (experiment_id, observed_at, id);

CREATE INDEX reconciliation_events_started_at ON reconciliation_events (started_at, id);

CREATE INDEX position_adjustments_event_created ON position_adjustments (reconciliation_event_id, created_at, id);

CREATE INDEX position_adjustments_created ON position_adjustments (created_at, id);

-- Every model output, in experiments or not (no foreign key: the log must not refuse a batch for one row).
-- Latency and bucket are REAL: 8-byte IEEE doubles, exactly Python's float.
CREATE TABLE predictions (
    id TEXT NOT NULL PRIMARY KEY,
    model_name TEXT NOT NULL,
    version INTEGER NOT NULL,
    experiment_id TEXT,
    arm TEXT,
    routing_key TEXT,
    acted INTEGER NOT NULL,
    outputs TEXT NOT NULL,
    latency_seconds REAL NOT NULL,
    at INTEGER NOT NULL,
    bucket REAL,
    features_hash TEXT
);

CREATE INDEX predictions_experiment_at ON predictions (experiment_id, at, id) WHERE experiment_id IS NOT NULL;

CREATE INDEX predictions_model_at ON predictions (model_name, at, id);

CREATE INDEX predictions_model_version_at ON predictions (model_name, version, at, id);

CREATE TABLE model_stage_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    from_stage TEXT NOT NULL,
    to_stage TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    FOREIGN KEY (name, version) REFERENCES model_versions (name, version)
);

CREATE INDEX model_stage_history_name_at ON model_stage_history (name, at, id);
