-- rollback of 0001.initial: drop every table it created (children before the tables they reference).

DROP TABLE IF EXISTS retention_runs;

DROP TABLE IF EXISTS raw_journal;

DROP TABLE IF EXISTS position_adjustments;

DROP TABLE IF EXISTS reconciliation_events;

DROP TABLE IF EXISTS experiment_outcomes;

DROP TABLE IF EXISTS experiments;

DROP TABLE IF EXISTS model_alias_history;

DROP TABLE IF EXISTS model_aliases;

DROP TABLE IF EXISTS model_versions;

DROP TABLE IF EXISTS candles;

DROP TABLE IF EXISTS balances;

DROP TABLE IF EXISTS positions;

DROP TABLE IF EXISTS executions;

DROP TABLE IF EXISTS orders;
