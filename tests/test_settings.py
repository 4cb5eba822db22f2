from __future__ import annotations

from pathlib import Path

import pytest

from tagwire.errors import ConfigError
from tagwire.settings import Settings, documented_settings

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_environment_is_read_and_typed():
    settings = Settings.from_env(
        {
            "TAGWIRE_DATABASE_URL": "sqlite:///x.db",
            "TAGWIRE_ALLOW_PRIVATE_NETWORKS": "yes",
            "TAGWIRE_MAX_BODY_BYTES": "1000",
            "TAGWIRE_FETCH_TIMEOUT": "2.5",
        }
    )
    assert settings.database_url == "sqlite:///x.db"
    assert settings.allow_private_networks is True
    assert settings.max_body_bytes == 1000 and settings.fetch_timeout == 2.5


def test_cli_overrides_win_over_the_environment():
    settings = Settings.from_env(
        {"TAGWIRE_DATABASE_URL": "sqlite:///a.db"}, database_url="sqlite:///b.db"
    )
    assert settings.database_url == "sqlite:///b.db"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TAGWIRE_MAX_BODY_BYTES", "lots", "must be a whole number"),
        ("TAGWIRE_ALLOW_PRIVATE_NETWORKS", "maybe", "must be true or false"),
        ("TAGWIRE_CONCURRENCY", "0", "greater than 0"),
        ("TAGWIRE_MAX_REDIRECTS", "99", "between 0 and 20"),
        ("TAGWIRE_DATABASE_URL", "tagwire.db", "not a database URL"),
    ],
)
def test_bad_values_stop_with_the_variable_named(name, value, message):
    with pytest.raises(ConfigError, match=message) as caught:
        Settings.from_env({name: value})
    assert name in str(caught.value)


def test_every_setting_is_documented():
    docs = DOCS.read_text()
    missing = [name for name in documented_settings() if f"`{name}`" not in docs]
    assert not missing, f"document these in docs/settings.md: {missing}"


def test_the_settings_reference_is_current():
    from tagwire.settings import settings_markdown

    assert settings_markdown() in DOCS.read_text(), "run: tagwire settings --markdown"
