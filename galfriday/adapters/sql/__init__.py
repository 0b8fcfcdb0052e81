"""What the SQL store adapters share: the migration runner and query monitoring."""
