-- rollback of 0001.initial (sqlite): drop every table, children before their parents.

DROP TABLE retention_runs;
DROP TABLE raw_journal;
DROP TABLE position_adjustments;
DROP TABLE reconciliation_events;
DROP TABLE experiment_outcomes;
DROP TABLE experiments;
DROP TABLE model_alias_history;
DROP TABLE model_aliases;
DROP TABLE model_versions;
DROP TABLE candles;
DROP TABLE balances;
DROP TABLE positions;
DROP TABLE executions;
DROP TABLE orders;
