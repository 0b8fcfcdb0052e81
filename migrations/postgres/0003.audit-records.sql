-- 0003.audit-records (postgres): what the audit stores need beyond 0001. Experiments name the model and the
-- two versions they compare; the prediction log; the model stage history; indexes for the audit reads.
-- depends: 0002.candle-partitions

ALTER TABLE experiments
    ADD COLUMN model_name text COLLATE "C" NOT NULL,
    ADD COLUMN control_version integer NOT NULL,
    ADD COLUMN candidate_version integer NOT NULL;

CREATE INDEX experiments_created_at_idx ON experiments (created_at, id);

CREATE INDEX experiment_outcomes_observed_idx ON experiment_outcomes (experiment_id, observed_at, id);

CREATE INDEX reconciliation_events_started_at_idx ON reconciliation_events (started_at DESC, id DESC);

CREATE INDEX position_adjustments_event_created_idx
    ON position_adjustments (reconciliation_event_id, created_at, id);

CREATE INDEX position_adjustments_created_idx ON position_adjustments (created_at, id);

-- Every model output, in experiments or not. No foreign key to experiments: the log is written in batches off
-- the serving path and must not refuse a batch for one prediction's experiment id.
CREATE TABLE predictions (
    id text COLLATE "C" PRIMARY KEY,
    model_name text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    experiment_id text COLLATE "C",
    arm text,
    routing_key text,
    acted boolean NOT NULL,
    outputs jsonb NOT NULL,
    latency_seconds double precision NOT NULL,
    at timestamptz NOT NULL,
    bucket double precision,
    features_hash text
);

CREATE INDEX predictions_experiment_at_idx ON predictions (experiment_id, at, id) WHERE experiment_id IS NOT NULL;

CREATE INDEX predictions_model_at_idx ON predictions (model_name, at, id);

CREATE INDEX predictions_model_version_at_idx ON predictions (model_name, version, at, id);

CREATE TABLE model_stage_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    from_stage text NOT NULL,
    to_stage text NOT NULL,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    reason text NOT NULL,
    FOREIGN KEY (name, version) REFERENCES model_versions (name, version)
);

CREATE INDEX model_stage_history_name_at_idx ON model_stage_history (name, at, id);
