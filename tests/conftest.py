"""Shared fixtures: a real Dagster ingest run in the test's tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ingest_helpers import AS_OF, Run, ingest


@pytest.fixture
def run_ingest(tmp_path: Path) -> Callable[..., Run]:
    """``ingest`` into a warehouse in this test's tmp_path."""

    def _run(inbox: Path, as_of: str = AS_OF, raise_on_error: bool = True) -> Run:
        return ingest(inbox, tmp_path / "warehouse.duckdb", as_of, raise_on_error)

    return _run
