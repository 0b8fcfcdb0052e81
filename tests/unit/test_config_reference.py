"""docs/configuration.md is generated from galfriday.config and must stay equal to what the code says."""

from __future__ import annotations

import attrs

from galfriday.config import ENVIRONMENT_VARIABLES, Config
from galfriday.config_reference import DOCS_PATH, UNDOCUMENTED, main, reference_markdown


def test_committed_reference_matches_the_configuration_classes() -> None:
    committed = DOCS_PATH.read_text(encoding="utf-8")
    assert committed == reference_markdown(), (
        "docs/configuration.md is stale: run `python -m galfriday.config_reference --write` and commit it"
    )


def test_every_section_and_key_has_a_row() -> None:
    text = reference_markdown()
    for section in attrs.fields(Config):
        assert f"## `[{section.name}]`" in text
        for key in attrs.fields(type(getattr(Config(), section.name))):
            assert f"| `{key.name}` |" in text, f"{section.name}.{key.name} missing"


def test_every_environment_variable_is_listed() -> None:
    text = reference_markdown()
    for name in ENVIRONMENT_VARIABLES:
        assert f"`{name}`" in text


def test_a_keys_docstring_in_config_py_is_its_meaning() -> None:
    row = next(
        line for line in reference_markdown().splitlines() if line.startswith("| `lookback_seconds` |")
    )
    assert "How far before the last run's checkpoint the exchange's history is read again." in row


def test_a_default_is_shown_as_toml() -> None:
    text = reference_markdown()
    assert '| `adapter` | string | `"sqlite"` | `GALFRIDAY_STORE` |' in text
    assert "| `wait_at_startup` | boolean | `true` |" in text


def test_no_key_is_left_without_a_meaning() -> None:
    assert UNDOCUMENTED not in reference_markdown()


def test_check_reports_a_stale_file(tmp_path, monkeypatch) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr("galfriday.config_reference.DOCS_PATH", stale)
    assert main(["--check"]) == 1
    assert main(["--write"]) == 0
    assert main(["--check"]) == 0


def test_galfriday_config_reference_prints_the_reference() -> None:
    from click.testing import CliRunner

    from galfriday.cli import cli

    result = CliRunner().invoke(cli, ["config", "--reference"])
    assert result.exit_code == 0
    assert result.output == reference_markdown()
