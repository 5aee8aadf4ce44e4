"""The project's descriptions stay true: compose, README and settings agree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from server.lib.keys import generate
from server.settings import ENVIRONMENT, Settings

PROJECT = Path(__file__).resolve().parent.parent


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((PROJECT / "compose.yaml").read_text())
    return document


def test_compose_describes_database_migration_and_app() -> None:
    services = compose()["services"]
    assert services["db"]["image"].startswith("postgis/postgis:")
    assert services["migrate"]["command"] == ["bosai", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["app"]["command"] == ["bosai", "serve"]
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert int(services["app"]["environment"]["BOSAI_WORKERS"]) > 1
    for name in ("migrate", "app"):
        assert services[name]["build"] == "."
    assert (PROJECT / "Dockerfile").is_file()


def test_compose_environment_is_what_the_app_reads() -> None:
    services = compose()["services"]
    env = services["app"]["environment"]
    assert env == services["migrate"]["environment"]
    assert set(env) <= set(ENVIRONMENT), set(env) - set(ENVIRONMENT)
    # With the secrets filled in, the settings accept the values as they are.
    secrets = {
        "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}": "pw",
        **{f"${{{k}:?set {k}}}": v for k, v in generate().items()},
    }
    filled = {
        k: secrets.get(str(v), str(v)).replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "pw")
        for k, v in env.items()
    }
    settings = Settings.from_env(filled)
    assert not settings.database.managed
    assert settings.security.data_key and settings.security.qr_key
    assert settings.server.host == "0.0.0.0"  # noqa: S104


def test_readme_documents_every_environment_variable_and_the_two_commands() -> None:
    readme = (PROJECT / "README.md").read_text()
    missing = [name for name in ENVIRONMENT if f"`{name}`" not in readme]
    assert missing == [], f"README lacks: {missing}"
    first_commands = re.findall(r"^make (\w+)", readme, flags=re.MULTILINE)[:2]
    assert first_commands == ["run", "test"]


def test_ci_runs_lint_and_the_readme_test_command() -> None:
    script = (PROJECT / ".ci" / "run").read_text()
    assert "make lint" in script and "make test" in script
    assert "set -euo pipefail" in script
