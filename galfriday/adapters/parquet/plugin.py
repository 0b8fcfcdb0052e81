"""Registers the Parquet archive (the default archive for retention)."""

from __future__ import annotations

from galfriday.adapters.parquet.archive import ParquetArchive
from galfriday.hookspecs import RegisterAdapter, hookimpl


@hookimpl
def galfriday_register_archives(register: RegisterAdapter) -> None:
    register(
        "parquet",
        lambda ctx: ParquetArchive(
            ctx.config.retention.archive_dir, compression=ctx.config.retention.compression
        ),
    )
