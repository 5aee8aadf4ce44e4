"""The tests hash passwords at the lowest argon2 cost (tests/conftest.py); the app as shipped must
not: it hashes with argon2id at the library's recommended parameters (RFC 9106, low memory)."""

from __future__ import annotations

import subprocess
import sys

from argon2 import extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from server.accounts import service
from tests.conftest import TEST_HASHER

SHIPPED = "from server.accounts.service import HASHER, _DUMMY; print(HASHER.hash('a password')); print(_DUMMY)"


def test_the_app_hashes_at_the_production_cost() -> None:
    # A process of its own: in this one the suite's cheap hasher stands in.
    result = subprocess.run([sys.executable, "-c", SHIPPED], capture_output=True, text=True, check=True)
    password, dummy = result.stdout.split()
    assert extract_parameters(password) == RFC_9106_LOW_MEMORY
    # Unknown accounts are verified against the dummy: it must cost what a real hash does.
    assert extract_parameters(dummy) == RFC_9106_LOW_MEMORY


def test_the_suite_hashes_cheaply_with_the_same_algorithm() -> None:
    assert service.HASHER is TEST_HASHER
    assert extract_parameters(service._DUMMY).type == RFC_9106_LOW_MEMORY.type
    assert TEST_HASHER.time_cost < RFC_9106_LOW_MEMORY.time_cost
