-- rollback of 0003.audit-records (postgres): drop the stage history and the prediction log, the audit indexes,
-- and the experiment columns added by 0003.

DROP TABLE model_stage_history;

DROP TABLE predictions;

DROP INDEX position_adjustments_created_idx;

DROP INDEX position_adjustments_event_created_idx;

DROP INDEX reconciliation_events_started_at_idx;

DROP INDEX experiment_outcomes_observed_idx;

DROP INDEX experiments_created_at_idx;

ALTER TABLE experiments
    DROP COLUMN candidate_version,
    DROP COLUMN control_version,
    DROP COLUMN model_name;
