-- 0001.initial (postgres): every table of docs/schema.md.
-- Amounts are unconstrained numeric (keeps each value's scale: 0.10 stays 0.10), instants timestamptz, JSON jsonb.
-- Key and ordering text columns use the "C" collation so that ORDER BY sorts by code point, as Python does.

CREATE TABLE orders (
    client_order_id text COLLATE "C" PRIMARY KEY,
    exchange_order_id text COLLATE "C",
    symbol text COLLATE "C" NOT NULL,
    side text NOT NULL,
    order_type text NOT NULL,
    time_in_force text NOT NULL,
    quantity numeric NOT NULL,
    limit_price numeric,
    status text NOT NULL,
    filled_quantity numeric NOT NULL,
    filled_cost numeric NOT NULL,
    fees jsonb NOT NULL DEFAULT '{}'::jsonb,
    closed_filled_quantity numeric,
    exec_ids jsonb NOT NULL DEFAULT '[]'::jsonb,
    external boolean NOT NULL DEFAULT false,
    reason text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE INDEX orders_exchange_order_id_idx ON orders (exchange_order_id);

CREATE INDEX orders_updated_at_idx ON orders (updated_at, client_order_id);

CREATE INDEX orders_open_idx ON orders (created_at, client_order_id)
    WHERE status NOT IN ('filled', 'canceled', 'expired', 'rejected');

CREATE TABLE executions (
    venue text COLLATE "C" NOT NULL,
    exec_id text COLLATE "C" NOT NULL,
    order_id text COLLATE "C" NOT NULL,
    client_order_id text COLLATE "C",
    trade_id text,
    symbol text COLLATE "C" NOT NULL,
    side text NOT NULL,
    quantity numeric NOT NULL,
    price numeric NOT NULL,
    fee numeric NOT NULL,
    fee_currency text NOT NULL,
    liquidity text NOT NULL,
    ts timestamptz NOT NULL,
    CONSTRAINT executions_venue_exec_id_key UNIQUE (venue, exec_id)
);

CREATE INDEX executions_order_id_idx ON executions (order_id);

CREATE INDEX executions_ts_idx ON executions (ts);

CREATE TABLE positions (
    symbol text COLLATE "C" PRIMARY KEY,
    quantity numeric NOT NULL,
    average_cost numeric NOT NULL,
    realized_pnl numeric NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE balances (
    asset text COLLATE "C" PRIMARY KEY,
    total numeric NOT NULL,
    available numeric NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Candles are range-partitioned by open time: monthly partitions candles_pYYYYMM (made by
-- galfriday_ensure_candle_partitions, migration 0002) and a default partition for anything else.
CREATE TABLE candles (
    symbol text COLLATE "C" NOT NULL,
    interval_seconds integer NOT NULL,
    open_time timestamptz NOT NULL,
    open numeric NOT NULL,
    high numeric NOT NULL,
    low numeric NOT NULL,
    close numeric NOT NULL,
    volume numeric NOT NULL,
    trade_count bigint NOT NULL,
    PRIMARY KEY (symbol, interval_seconds, open_time)
) PARTITION BY RANGE (open_time);

CREATE TABLE candles_default PARTITION OF candles DEFAULT;

CREATE TABLE model_versions (
    name text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    stage text NOT NULL,
    artifact_uri text NOT NULL,
    artifact_sha256 text NOT NULL,
    created_at timestamptz NOT NULL,
    features jsonb NOT NULL DEFAULT '[]'::jsonb,
    parent_version integer,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT model_versions_name_version_key UNIQUE (name, version)
);

CREATE TABLE model_aliases (
    name text COLLATE "C" NOT NULL,
    alias text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (name, alias),
    FOREIGN KEY (name, version) REFERENCES model_versions (name, version)
);

CREATE TABLE model_alias_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    alias text COLLATE "C" NOT NULL,
    from_version integer,
    to_version integer,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    reason text NOT NULL
);

CREATE INDEX model_alias_history_name_alias_at_idx ON model_alias_history (name, alias, at);

CREATE TABLE experiments (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    mode text NOT NULL,
    status text NOT NULL,
    config jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL,
    concluded_at timestamptz,
    conclusion jsonb
);

CREATE TABLE experiment_outcomes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    experiment_id text COLLATE "C" NOT NULL REFERENCES experiments (id),
    prediction_id text COLLATE "C" NOT NULL,
    arm text NOT NULL,
    model_version integer,
    routing_key text,
    outcome jsonb,
    observed_at timestamptz NOT NULL,
    CONSTRAINT experiment_outcomes_experiment_id_prediction_id_key UNIQUE (experiment_id, prediction_id)
);

CREATE TABLE reconciliation_events (
    id text COLLATE "C" PRIMARY KEY,
    type text NOT NULL,
    status text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    discrepancies_found integer NOT NULL DEFAULT 0,
    auto_corrected integer NOT NULL DEFAULT 0,
    manual_review_required integer NOT NULL DEFAULT 0,
    report jsonb
);

CREATE TABLE position_adjustments (
    id text COLLATE "C" PRIMARY KEY,
    reconciliation_event_id text COLLATE "C" NOT NULL REFERENCES reconciliation_events (id),
    subject text NOT NULL,
    kind text NOT NULL,
    old_value numeric,
    new_value numeric,
    reason text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE raw_journal (
    sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source text NOT NULL,
    channel text NOT NULL,
    received_at timestamptz NOT NULL,
    payload text NOT NULL
);

CREATE INDEX raw_journal_received_at_idx ON raw_journal (received_at);

CREATE TABLE retention_runs (
    id text COLLATE "C" PRIMARY KEY,
    table_name text NOT NULL,
    cutoff timestamptz NOT NULL,
    archived_rows bigint NOT NULL DEFAULT 0,
    deleted_rows bigint NOT NULL DEFAULT 0,
    archive_path text,
    status text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz
);
