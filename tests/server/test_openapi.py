"""The OpenAPI document describes what each route takes and gives, so the app's generated types and
schema-driven fuzzers reach it. A route whose request body or answer is undeclared or an
untyped object (what a bare dict becomes) fails here."""

from __future__ import annotations

import json
from typing import Any

from server.openapi import document

WRITES = {"post", "put", "patch"}
# Writes that take no body: the path says everything.
BODILESS = {
    "POST /api/auth/logout",
    "POST /api/auth/passkeys/login/options",
    "POST /api/auth/passkeys/register/options",
    "POST /api/events/{event_id}/close",
    "POST /api/residents",
    "POST /api/safety/groups/{group_id}/invites",
    "POST /api/safety/groups/{group_id}/leave",
    "PUT /api/push/subscriptions/{subscription_id}/family",
}


def untyped(schema: dict[str, Any] | None) -> bool:
    """No schema, or an object with no declared properties (what a bare dict becomes)."""
    if schema is None:
        return True
    return schema.get("type") == "object" and not schema.get("properties") and "$ref" not in schema


def operations() -> dict[str, dict[str, Any]]:
    paths = json.loads(document())["paths"]
    return {
        f"{method.upper()} {path}": operation
        for path, methods in paths.items()
        for method, operation in methods.items()
        if method in {"get", *WRITES, "delete"}
    }


def answer_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    for status in ("200", "201"):
        content = operation.get("responses", {}).get(status, {}).get("content")
        if content:
            schema: dict[str, Any] | None = next(iter(content.values())).get("schema")
            return schema
    return None


def body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content: dict[str, dict[str, Any]] = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        schema: dict[str, Any] | None = media.get("schema")
        return schema
    return None


def test_every_answer_is_declared_and_typed() -> None:
    found = sorted(name for name, operation in operations().items() if untyped(answer_schema(operation)))
    assert found == [], "declare the answer as a msgspec Struct in the feature's schemas.py"


def test_every_write_declares_its_body() -> None:
    missing = sorted(
        name
        for name, operation in operations().items()
        if name.split()[0].lower() in WRITES and name not in BODILESS and untyped(body_schema(operation))
    )
    assert missing == [], "take the body as JSONBody[Struct] (a streamed upload: declare its form, as imports do)"
