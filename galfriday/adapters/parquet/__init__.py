"""Archives as compressed Parquet files (pyarrow), partitioned by table, symbol and day."""
