"""Write the API's OpenAPI document, the source of the PWA's generated types (``make api``).

Usage: ``python -m server.openapi [PATH]`` (standard output without a path).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from server.app import create_app
from server.settings import Settings

# A fixed environment, so the document does not depend on who generates it. Building the app
# opens no connection (pools open at start-up) and, with a DATABASE_URL, writes no keys file.
_ENV = {"DATABASE_URL": "postgresql://openapi@localhost/openapi"}


def document() -> str:
    """The OpenAPI document as ``/schema/openapi.json`` serves it, as stable, indented JSON."""
    app = create_app(Settings.from_env(_ENV))
    schema = app.openapi_schema.to_schema()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    text = document()
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
