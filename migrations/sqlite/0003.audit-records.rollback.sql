-- rollback of 0003.audit-records (sqlite): drop the stage history and the prediction log, the audit indexes,
-- and the experiment columns added by 0003.

DROP TABLE model_stage_history;
DROP TABLE predictions;
DROP INDEX position_adjustments_created;
DROP INDEX position_adjustments_event_created;
DROP INDEX reconciliation_events_started_at;
DROP INDEX experiment_outcomes_observed;
DROP INDEX experiments_created_at;
ALTER TABLE experiments DROP COLUMN candidate_version;
ALTER TABLE experiments DROP COLUMN control_version;
ALTER TABLE experiments DROP COLUMN model_name;
