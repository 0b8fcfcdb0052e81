-- 0001.initial (sqlite): every table of docs/schema.md.
-- Amounts are exact decimal TEXT (never REAL), instants INTEGER microseconds since the Unix epoch (UTC),
-- JSON is TEXT, booleans INTEGER 0/1. Never ORDER BY an amount column: TEXT does not sort as a number.

CREATE TABLE orders (
    client_order_id TEXT NOT NULL PRIMARY KEY,
    exchange_order_id TEXT,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    order_type TEXT NOT NULL,
    time_in_force TEXT NOT NULL,
    quantity TEXT NOT NULL,
    limit_price TEXT,
    status TEXT NOT NULL,
    filled_quantity TEXT NOT NULL,
    filled_cost TEXT NOT NULL,
    fees TEXT NOT NULL DEFAULT '{}',
    closed_filled_quantity TEXT,
    exec_ids TEXT NOT NULL DEFAULT '[]',
    external INTEGER NOT NULL DEFAULT 0 CHECK (external IN (0, 1)),
    reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX orders_exchange_order_id ON orders (exchange_order_id);

CREATE INDEX orders_updated_at ON orders (updated_at, client_order_id);

-- The WHERE clause is repeated word for word by the adapter's open-order query, so SQLite can use this index.
CREATE INDEX orders_open ON orders (created_at, client_order_id)
    WHERE status NOT IN ('canceled', 'expired', 'filled', 'rejected');

CREATE TABLE executions (
    venue TEXT NOT NULL,
    exec_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    client_order_id TEXT,
    trade_id TEXT,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity TEXT NOT NULL,
    price TEXT NOT NULL,
    fee TEXT NOT NULL,
    fee_currency TEXT NOT NULL,
    liquidity TEXT NOT NULL,
    ts INTEGER NOT NULL,
    UNIQUE (venue, exec_id)
);

CREATE INDEX executions_order_id ON executions (order_id);

CREATE INDEX executions_ts ON executions (ts);

CREATE TABLE positions (
    symbol TEXT NOT NULL PRIMARY KEY,
    quantity TEXT NOT NULL,
    average_cost TEXT NOT NULL,
    realized_pnl TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE balances (
    asset TEXT NOT NULL PRIMARY KEY,
    total TEXT NOT NULL,
    available TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- WITHOUT ROWID: rows are stored in key order, so a range of one series is one contiguous read.
CREATE TABLE candles (
    symbol TEXT NOT NULL,
    interval_seconds INTEGER NOT NULL,
    open_time INTEGER NOT NULL,
    open TEXT NOT NULL,
    high TEXT NOT NULL,
    low TEXT NOT NULL,
    close TEXT NOT NULL,
    volume TEXT NOT NULL,
    trade_count INTEGER NOT NULL,
    PRIMARY KEY (symbol, interval_seconds, open_time)
) WITHOUT ROWID;

CREATE TABLE model_versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    stage TEXT NOT NULL,
    artifact_uri TEXT NOT NULL,
    artifact_sha256 TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    features TEXT NOT NULL DEFAULT '[]',
    parent_version INTEGER,
    metadata TEXT NOT NULL DEFAULT '{}',
    UNIQUE (name, version)
);

CREATE TABLE model_aliases (
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (name, alias),
    FOREIGN KEY (name, version) REFERENCES model_versions (name, version)
);

CREATE TABLE model_alias_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    from_version INTEGER,
    to_version INTEGER,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL
);

CREATE INDEX model_alias_history_name_alias_at ON model_alias_history (name, alias, at);

CREATE TABLE experiments (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    concluded_at INTEGER,
    conclusion TEXT
);

CREATE TABLE experiment_outcomes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment_id TEXT NOT NULL REFERENCES experiments (id),
    prediction_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    model_version INTEGER,
    routing_key TEXT,
    outcome TEXT,
    observed_at INTEGER NOT NULL,
    UNIQUE (experiment_id, prediction_id)
);

CREATE TABLE reconciliation_events (
    id TEXT NOT NULL PRIMARY KEY,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    discrepancies_found INTEGER NOT NULL DEFAULT 0,
    auto_corrected INTEGER NOT NULL DEFAULT 0,
    manual_review_required INTEGER NOT NULL DEFAULT 0,
    report TEXT
);

CREATE TABLE position_adjustments (
    id TEXT NOT NULL PRIMARY KEY,
    reconciliation_event_id TEXT NOT NULL REFERENCES reconciliation_events (id),
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE raw_journal (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    channel TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    payload TEXT NOT NULL
);

CREATE INDEX raw_journal_received_at ON raw_journal (received_at);

CREATE TABLE retention_runs (
    id TEXT NOT NULL PRIMARY KEY,
    table_name TEXT NOT NULL,
    cutoff INTEGER NOT NULL,
    archived_rows INTEGER NOT NULL DEFAULT 0,
    deleted_rows INTEGER NOT NULL DEFAULT 0,
    archive_path TEXT,
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER
);
