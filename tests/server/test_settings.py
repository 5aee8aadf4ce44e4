from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import DEFAULT_PG_PORT, Settings, SettingsError


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.database.managed
    assert settings.database.url is None
    assert settings.database.home == Path(".bosai").absolute()
    assert settings.database.pg_port == DEFAULT_PG_PORT
    assert (settings.server.host, settings.server.port, settings.server.workers) == ("127.0.0.1", 8000, 1)
    assert not settings.server.demo


def test_values_come_from_the_given_environment() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://app:secret@db:5432/bosai",
            "BOSAI_PORT": "9000",
            "BOSAI_WORKERS": "4",
            "BOSAI_DEMO": "1",
            "BOSAI_HOME": "/var/lib/bosai",
        }
    )
    assert not settings.database.managed
    assert settings.server.port == 9000 and settings.server.workers == 4 and settings.server.demo
    assert settings.database.home == Path("/var/lib/bosai")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BOSAI_PORT": "eighty"}, "BOSAI_PORT='eighty': expected a whole number"),
        ({"BOSAI_WORKERS": "0"}, "BOSAI_WORKERS='0': must be at least 1"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must start with postgresql://"),
        ({"BOSAI_LOG_LEVEL": "loud"}, "BOSAI_LOG_LEVEL='loud'"),
    ],
)
def test_unusable_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env)
