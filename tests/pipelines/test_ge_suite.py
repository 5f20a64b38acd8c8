"""The Great Expectations check: exact key test, sampled validation, carrying a passed result over."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from fresh_python import fresh_python
from ingest_helpers import FEEDBACK, base_inbox, write_csv

from pipelines.contract import FEEDS_BY_NAME
from pipelines.defs.ingest import checks
from pipelines.resources import Warehouse

FEEDBACK_FEED = FEEDS_BY_NAME["feedback"]


def _feedback_rows(n: int) -> list[dict[str, str]]:
    return [{**FEEDBACK, "feedback_id": f"fb-{i:05d}"} for i in range(n)]


@pytest.fixture
def warehouse(tmp_path: Path, run_ingest) -> Warehouse:
    inbox = base_inbox(tmp_path / "inbox")
    write_csv(inbox / "feedback.csv", _feedback_rows(40))
    run = run_ingest(inbox)
    return Warehouse(path=str(run.warehouse))


def _sql(warehouse: Warehouse, sql: str) -> None:
    with duckdb.connect(warehouse.path) as con:
        con.execute(sql)


def test_a_passed_suite_is_carried_over_only_while_the_table_is_unchanged(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # Not the ingest run's Data Docs folder (beside the warehouse), so the first call runs.
    docs = tmp_path / "docs" / "data_docs"
    first = checks.run_suite(warehouse, FEEDBACK_FEED, docs)
    assert first.passed and first.metadata["validation"].value == "run"
    again = checks.run_suite(warehouse, FEEDBACK_FEED, docs)
    assert again.passed and again.metadata["validation"].value.startswith("carried over")
    assert again.metadata["rows_in_table"].value == 40
    assert again.metadata["data_docs"].value == first.metadata["data_docs"].value
    # Any change of a value is a new table: validated again.
    _sql(warehouse, "UPDATE core.feedback SET rating = 4 WHERE feedback_id = 'fb-00003'")
    changed = checks.run_suite(warehouse, FEEDBACK_FEED, docs)
    assert changed.passed and changed.metadata["validation"].value == "run"
    # Without its Data Docs site, a result is not carried over either.
    site = Path(changed.metadata["data_docs"].value).parent
    for path in sorted(site.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    site.rmdir()
    assert checks.run_suite(warehouse, FEEDBACK_FEED, docs).metadata["validation"].value == "run"


def test_a_failure_is_never_carried_over(warehouse: Warehouse) -> None:
    _sql(warehouse, "UPDATE core.feedback SET rating = 9 WHERE feedback_id = 'fb-00001'")
    for _ in range(2):
        result = checks.run_suite(warehouse, FEEDBACK_FEED)
        assert not result.passed and result.metadata["validation"].value == "run"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ("INSERT INTO core.feedback SELECT * FROM core.feedback LIMIT 1", "repeated key"),
        ("UPDATE core.feedback SET feedback_id = NULL WHERE feedback_id = 'fb-00002'", "null key"),
    ],
)
def test_the_key_test_is_exact(warehouse: Warehouse, change: str, why: str) -> None:
    _sql(warehouse, change)
    result = checks.run_suite(warehouse, FEEDBACK_FEED)
    assert not result.passed, why
    assert result.metadata["key_unique_exact"].value is False


def test_key_test_counts_the_keys_when_hashes_repeat(warehouse: Warehouse) -> None:
    """No key hash repeating proves uniqueness; repeated hashes fall back to the keys."""
    with duckdb.connect(warehouse.path) as con:
        assert checks._count_and_key_unique(con, "feedback", ("feedback_id",)) == (40, True)
        # One participant wrote all 40 rows: hashes repeat, the keys are counted.
        assert checks._count_and_key_unique(con, "feedback", ("participant_id",)) == (40, False)
        assert checks._count_and_key_unique(con, "feedback", ("participant_id", "feedback_id")) == (
            40,
            True,
        )


def test_a_large_table_is_validated_on_a_repeatable_sample(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checks, "GE_FULL_ROWS", 10)
    monkeypatch.setattr(checks, "GE_SAMPLE_ROWS", 7)
    result = checks.run_suite(warehouse, FEEDBACK_FEED)
    assert result.passed
    assert result.metadata["sampled"].value is True
    assert result.metadata["rows_validated"].value == 7
    assert result.metadata["rows_in_table"].value == 40
    # A bad value outside the sample is still caught by the exact key test, not by GE:
    # here every row is made bad, so the sample must see it.
    _sql(warehouse, "UPDATE core.feedback SET rating = 9")
    failed = checks.run_suite(warehouse, FEEDBACK_FEED)
    assert not failed.passed
    assert failed.metadata["failed_expectations"].value[0]["unexpected_count"] == 7


def test_great_expectations_imported_ahead_is_whole_when_a_suite_needs_it() -> None:
    """A suite may ask for GE while the background import is still running: it must wait
    for the whole package, not see a half-initialised module (fresh interpreter)."""
    script = (
        "import sys, threading\n"
        "from pipelines.defs.ingest import checks\n"
        "assert 'great_expectations' not in sys.modules\n"
        "checks.import_ge_ahead()\n"
        "assert any(t.name == 'bt-import-ge' for t in threading.enumerate())\n"
        "checks.import_ge_ahead()  # once per process\n"
        "assert sum(t.name == 'bt-import-ge' for t in threading.enumerate()) <= 1\n"
        "import great_expectations as gx\n"
        "context = gx.get_context(mode='ephemeral')\n"
        "print(type(context).__name__, gx.expectations.ExpectColumnValuesToNotBeNull.__name__)\n"
    )
    assert fresh_python(script).split() == ["EphemeralDataContext", "ExpectColumnValuesToNotBeNull"]
