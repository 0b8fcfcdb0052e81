"""Registers the filesystem artifact store as `filesystem`, through galfriday's own `galfriday` entry point.

Settings (`[models.settings]`): `artifact_dir` (default `artifacts`, relative to the working directory).
"""

from __future__ import annotations

from galfriday.adapters.filesystem.artifacts import FilesystemArtifactStore
from galfriday.errors import ConfigurationError
from galfriday.hookspecs import AdapterContext, RegisterAdapter, hookimpl

DEFAULT_ARTIFACT_DIR = "artifacts"


def make_filesystem_artifact_store(ctx: AdapterContext) -> FilesystemArtifactStore:
    directory = ctx.settings.get("artifact_dir", DEFAULT_ARTIFACT_DIR)
    if not isinstance(directory, str) or not directory:
        raise ConfigurationError("models.settings.artifact_dir", directory, "a directory path")
    return FilesystemArtifactStore(directory)


@hookimpl
def galfriday_register_artifact_stores(register: RegisterAdapter) -> None:
    register("filesystem", make_filesystem_artifact_store)
