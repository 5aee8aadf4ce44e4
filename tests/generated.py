"""Checks that committed fixture files are exactly what their generator writes."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType


def assert_matches_generator(generator: ModuleType, committed: Path, scratch: Path) -> None:
    """Run ``generator.main()`` into ``scratch`` and compare every file with ``committed``."""
    original = getattr(generator, "OUT")  # noqa: B009 - every generator module defines OUT
    setattr(generator, "OUT", scratch)  # noqa: B010
    try:
        generator.main()
    finally:
        setattr(generator, "OUT", original)  # noqa: B010
    written = sorted(p.relative_to(scratch) for p in scratch.rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file())
    for name in written:
        assert (scratch / name).read_bytes() == (committed / name).read_bytes(), f"rerun {generator.__name__}: {name}"
