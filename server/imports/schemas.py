"""What `POST /api/imports` answers: the summary `bosai import` prints, per file."""

from __future__ import annotations

from typing import Any

import msgspec


class ImportedFile(msgspec.Struct, rename="camel"):
    file: str
    format: str | None
    status: str
    read: int
    created: int
    updated: int
    withdrawn: int
    rejected: int
    errors: list[dict[str, Any]]
    outside_boundary: list[str]
    notes: list[str]
    seconds: float
    run_id: str | None


class ImportResult(msgspec.Struct, rename="camel"):
    ok: bool
    files: list[ImportedFile]
