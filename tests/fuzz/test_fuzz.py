"""Every operation of the OpenAPI document, fuzzed by every kind of caller: no 5xx.

Deselect with `-m "not fuzz"`; `python -m bench --only fuzz` runs the long version.
"""

from __future__ import annotations

import pytest

from tests.fuzz.conftest import Target
from tests.fuzz.harness import CALLERS, describe, fuzz

# Cases per operation and caller: enough to send each operation bad input of every kind, small
# enough for `make test`.
EXAMPLES = 8


@pytest.mark.fuzz
@pytest.mark.parametrize("caller", CALLERS)
def test_no_server_errors(target: Target, caller: str) -> None:
    tallies = fuzz(target.schema, target.callers[caller], target.known, EXAMPLES)
    assert sum(t.cases for t in tallies) > 0
    found = describe(tallies)
    assert not found, f"server errors as {caller} (reproduce against `make run`):\n{found}"
