"""The PostgreSQL store on asyncpg: a pooled unit of work over every repository, COPY for candle ingest."""
