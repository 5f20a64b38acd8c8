"""Asset checks on the core tables: reconciliation, Great Expectations suites, erasure.

* ``reconciliation``: rows read = quarantined + core + superseded, per feed (blocking).
* ``great_expectations``: a GE 1.x suite per core table built from the contract (blocking).
  Tables up to ``GE_FULL_ROWS`` rows are validated whole; larger ones on a repeatable
  reservoir sample, with the key's uniqueness and the row count counted exactly in DuckDB.
  A suite that passed is not run again while its table and the suite's code are unchanged
  (an incremental run that kept the table): the result is carried over, and says so.
* ``erasure_complete``: no table names an erased person or match (blocking).

Metadata carries counts and expectation names only, never a value from the data: GE's
"unexpected values" lists can hold personal data and are not copied out.
"""

import errno
import hashlib
import html
import importlib
import json
import os
import shutil
import sys
import tempfile
import threading
import uuid
from importlib.metadata import version
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from pipelines.contract import (
    END_REASONS,
    EVENT_KINDS,
    FEEDS_BY_NAME,
    GENDER_PREFERENCES,
    GENDERS,
    GROUPS,
    STATUSES,
    SURVEY_ITEMS,
    WAVES,
    Feed,
)
from pipelines.defs.ingest import erasure, incremental
from pipelines.defs.ingest.assets import CORE_ASSETS, erasure_ledger
from pipelines.defs.ingest.validate import repeated_hashes
from pipelines.resources import Settings, Warehouse
from reports import sweep_temporaries, write_atomic

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

GE_FULL_ROWS = 100_000
DATA_DOCS_FOLDER = "data_docs"
GE_SAMPLE_ROWS = 100_000

_ge_import: threading.Thread | None = None


def import_ge_ahead() -> None:
    """Start importing Great Expectations in a background thread, once per process.

    The import takes about 1.5 s of one core. A suite that is not carried over starts it
    and then has DuckDB test the key and draw the sample (which release the GIL), so the
    two overlap; a run whose suites are all carried over never imports GE. A later
    ``import great_expectations`` waits for it (Python's per-module import lock), or
    raises its error if it failed.

    The suite waits for the import before it returns to Dagster, and must: importing GE
    loads SQLAlchemy's ORM, which raced with Dagster's run storage (SQLAlchemy too) when
    an import started in a core asset ran on into the next step (a failed 1M run).
    """
    global _ge_import
    if _ge_import is None and "great_expectations" not in sys.modules:
        _ge_import = threading.Thread(
            target=importlib.import_module,
            args=("great_expectations",),
            name="bt-import-ge",
            daemon=True,
        )
        _ge_import.start()


def _expectations(table: str) -> list:
    """The suite of one core table, from the contract's rules."""
    import great_expectations as gx

    E = gx.expectations
    suite: dict[str, list] = {
        "participants": [
            E.ExpectColumnValuesToNotBeNull(column="participant_id"),
            E.ExpectColumnValuesToMatchRegex(
                column="participant_id", regex=r"^[A-Za-z0-9_-]{1,64}$"
            ),
            E.ExpectColumnValuesToNotBeNull(column="registered_at"),
            E.ExpectColumnValuesToBeInSet(column="group", value_set=list(GROUPS)),
            E.ExpectColumnValuesToNotBeNull(column="city"),
            E.ExpectColumnValuesToMatchRegex(column="postcode", regex=r"^[0-9]{5}$", mostly=1.0),
            E.ExpectColumnValuesToBeBetween(column="birth_year", min_value=1910),
            E.ExpectColumnValuesToBeInSet(column="gender", value_set=list(GENDERS)),
            E.ExpectColumnValuesToBeInSet(
                column="gender_preference", value_set=list(GENDER_PREFERENCES)
            ),
            E.ExpectColumnValuesToNotBeNull(column="consent_research"),
            E.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUSES)),
        ],
        "matches": [
            E.ExpectColumnValuesToNotBeNull(column="match_id"),
            E.ExpectColumnValuesToNotBeNull(column="newcomer_id"),
            E.ExpectColumnValuesToNotBeNull(column="local_id"),
            E.ExpectColumnValuesToNotBeNull(column="matched_at"),
            E.ExpectColumnValuesToBeInSet(column="end_reason", value_set=list(END_REASONS)),
        ],
        "feedback": [
            E.ExpectColumnValuesToNotBeNull(column="feedback_id"),
            E.ExpectColumnValuesToNotBeNull(column="participant_id"),
            E.ExpectColumnValuesToBeInSet(column="event_kind", value_set=list(EVENT_KINDS)),
            E.ExpectColumnValuesToNotBeNull(column="event_date"),
            E.ExpectColumnValuesToNotBeNull(column="attended"),
            E.ExpectColumnValuesToBeBetween(column="rating", min_value=1, max_value=5),
            E.ExpectColumnValuesToBeBetween(
                column="new_contacts_other_group", min_value=0, max_value=50
            ),
            E.ExpectColumnValueLengthsToBeBetween(column="comment", max_value=2000),
            E.ExpectColumnValuesToNotBeNull(column="submitted_at"),
        ],
        "surveys": [
            E.ExpectColumnValuesToNotBeNull(column="participant_id"),
            E.ExpectColumnValuesToBeInSet(column="wave", value_set=list(WAVES)),
            E.ExpectColumnValuesToNotBeNull(column="answered_at"),
            *[
                E.ExpectColumnValuesToBeBetween(column=col, min_value=lo, max_value=hi)
                for col, (lo, hi) in SURVEY_ITEMS.items()
            ],
        ],
    }[table]
    return suite


def run_suite(
    warehouse: Warehouse, feed: Feed, docs_dir: Path | None = None
) -> dg.AssetCheckResult:
    """Validate ``core.<table>`` with Great Expectations; exact key and count checks in DuckDB.

    With ``docs_dir``, the validation is also rendered as GE Data Docs under
    ``docs_dir/<table>/`` (results keep counts only: no unexpected values are listed).
    """
    table = feed.core_table
    memo_key = f"check core_{table} great_expectations"
    with warehouse.connect() as con:
        inputs = hashlib.sha256(
            "\n".join(
                [
                    incremental.table_digest(con, f"core.{table}"),
                    SUITE_VERSION,
                    "with data docs" if docs_dir is not None else "without data docs",
                ]
            ).encode()
        ).hexdigest()
        carried = _carried_over(con, memo_key, inputs, docs_dir)
        if carried is not None:
            return carried
        import_ge_ahead()  # while DuckDB tests the key and draws the sample
        total, key_unique = _count_and_key_unique(con, table, feed.key)
        sampled = total > GE_FULL_ROWS
        # List columns are not given to GE (their items were checked in SQL at validation).
        scalar = [
            f'"{name}"'
            for name, dtype, *_ in con.execute(f"DESCRIBE core.{table}").fetchall()
            if not dtype.endswith("[]")
        ]
        # The sample is drawn on row ids alone and only those rows are fetched: the same
        # rows as sampling whole rows, without reading every column of every row.
        rows = (
            f"""WHERE rowid IN (SELECT rowid FROM core.{table}
                USING SAMPLE reservoir({GE_SAMPLE_ROWS} ROWS) REPEATABLE (42))"""
            if sampled
            else ""
        )
        frame: pd.DataFrame = con.sql(
            f"SELECT {', '.join(scalar)} FROM core.{table} {rows} ORDER BY rowid"
        ).df()

    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    # Each validation builds a new site outside BT_REPORTS, moves it in whole and then
    # switches the index to it atomically, so a run killed at any moment leaves neither a
    # partial site in BT_REPORTS nor linked docs that are partial or missing.
    site = docs_dir / f"{table}-{uuid.uuid4().hex[:12]}" if docs_dir else None
    build = Path(tempfile.mkdtemp(prefix=f"bt-docs-{table}-")) if site is not None else None
    if site is not None:
        context.add_data_docs_site(
            site_name=table,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(build),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    batch_def = (
        context.data_sources.add_pandas(f"core_{table}")
        .add_dataframe_asset(table)
        .add_batch_definition_whole_dataframe("whole")
    )
    suite = context.suites.add(gx.ExpectationSuite(name=f"core_{table}"))
    for expectation in _expectations(table):
        if expectation.column in frame.columns:
            suite.add_expectation(expectation)
    if len(feed.key) == 1:
        suite.add_expectation(gx.expectations.ExpectColumnValuesToBeUnique(column=feed.key[0]))
    else:
        suite.add_expectation(
            gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=list(feed.key))
        )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"core_{table}", data=batch_def, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"core_{table}",
            validation_definitions=[definition],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=[table])]
            if site is not None
            else [],
            # Counts only: GE's lists of unexpected values could hold personal data.
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": 0},
        )
    )
    try:
        run = checkpoint.run(batch_parameters={"dataframe": frame})
        if site is not None and build is not None:
            move_into_place(build, site)
            publish_docs(site)
    finally:
        if build is not None:
            shutil.rmtree(build, ignore_errors=True)
    result = next(iter(run.run_results.values()))

    failed = [
        {
            "expectation": r.expectation_config.type,
            "column": r.expectation_config.kwargs.get("column")
            or ",".join(r.expectation_config.kwargs.get("column_list", [])),
            "unexpected_count": int(r.result.get("unexpected_count") or 0),
        }
        for r in result.results
        if not r.success
    ]
    passed = bool(result.success) and key_unique
    stats = result.statistics
    metadata = {
        "rows_in_table": int(total),
        "rows_validated": len(frame),
        "sampled": sampled,
        "expectations_evaluated": int(stats["evaluated_expectations"]),
        "expectations_successful": int(stats["successful_expectations"]),
        "key_unique_exact": key_unique,
    }
    if passed:
        with warehouse.connect() as con:
            memo = {**metadata, "site": str(site) if site is not None else None}
            incremental.record_inputs(con, memo_key, inputs, detail=json.dumps(memo))
    return dg.AssetCheckResult(
        passed=passed,
        metadata={
            **metadata,
            "validation": "run",
            "failed_expectations": dg.MetadataValue.json(failed),
            **(
                {"data_docs": dg.MetadataValue.path(str(site / "index.html"))}
                if site is not None
                else {}
            ),
        },
    )


#: What a suite's result depends on besides its table: the suite's code and GE's version.
SUITE_VERSION = "\n".join(
    [
        incremental.source_digest(Path(__file__), Path(__file__).parents[2] / "contract.py"),
        version("great_expectations"),
    ]
)


def _carried_over(
    con: duckdb.DuckDBPyConnection, memo_key: str, inputs: str, docs_dir: Path | None
) -> dg.AssetCheckResult | None:
    """The last passed result, if it was for exactly this table content and suite code, and
    its Data Docs site is still there in ``docs_dir``.

    Only passing results are remembered, so a failure is always validated again; a result
    whose Data Docs site has gone is not carried over either.
    """
    if incremental.recorded_inputs(con, memo_key) != inputs:
        return None
    memo = json.loads(incremental.recorded_detail(con, memo_key) or "{}")
    site = memo.pop("site", None)
    if docs_dir is not None and not (
        site and Path(site).parent == docs_dir and (Path(site) / "index.html").is_file()
    ):
        return None
    return dg.AssetCheckResult(
        passed=True,
        metadata={
            **memo,
            "validation": "carried over: table and suite unchanged since the last passed run",
            "failed_expectations": dg.MetadataValue.json([]),
            **(
                {"data_docs": dg.MetadataValue.path(str(Path(site) / "index.html"))} if site else {}
            ),
        },
    )


def _count_and_key_unique(
    con: duckdb.DuckDBPyConnection, table: str, key: tuple[str, ...]
) -> tuple[int, bool]:
    """Row count and whether the key is unique (and never null), both exact.

    No 64-bit key hash equal to its predecessor in sorted order proves uniqueness (equal
    keys hash alike), at a fraction of the cost of counting distinct strings; only when
    hashes repeat are the keys themselves counted.
    """
    cols = ", ".join(f'"{k}"' for k in key)
    nulls = " OR ".join(f'"{k}" IS NULL' for k in key)
    total, null_keys = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {nulls}) FROM core.{table}"
    ).fetchone()
    if null_keys:
        return int(total), False
    repeats = con.execute(
        f"SELECT count(*) FROM ({repeated_hashes(f'hash({cols})', f'core.{table}')})"
    ).fetchone()[0]
    if not repeats:
        return int(total), True
    distinct = con.execute(f"SELECT count(DISTINCT ({cols})) FROM core.{table}").fetchone()[0]
    return int(total), distinct == total


def move_into_place(build: Path, target: Path) -> None:
    """Move the finished folder ``build`` to ``target`` in one rename.

    Across file systems the folder is first copied beside ``target`` under a hidden
    temporary name (a window of milliseconds, not the seconds of a GE build) and then renamed.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(build, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    staging = target.parent / f".{target.name}.tmp"
    try:
        shutil.copytree(build, staging)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def publish_docs(site: Path) -> None:
    """Point the Data Docs index at ``site`` (atomically), then remove older builds."""
    docs_dir = site.parent
    table = site.name.rsplit("-", 1)[0]
    latest_file = docs_dir / "latest.json"
    sweep_temporaries(docs_dir)
    latest = json.loads(latest_file.read_text("utf-8")) if latest_file.is_file() else {}
    latest[table] = site.name
    write_atomic(latest_file, json.dumps(latest, indent=1, sort_keys=True).encode("utf-8"))
    links = "".join(
        f'<li><a href="{html.escape(folder)}/index.html">core.{html.escape(name)}</a></li>'
        for name, folder in sorted(latest.items())
    )
    page = (
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        "<title>Data Docs: core tables</title><h1>Great Expectations Data Docs</h1>"
        f"<p>The latest validation of each core table.</p><ul>{links}</ul></html>"
    )
    write_atomic(docs_dir / "index.html", page.encode("utf-8"))
    for old in [*docs_dir.glob(f"{table}-*"), *docs_dir.glob(f".{table}-*.tmp")]:
        if old.is_dir() and old.name != site.name:
            shutil.rmtree(old, ignore_errors=True)


def reconciliation(warehouse: Warehouse, feed: Feed) -> dg.AssetCheckResult:
    """rows read = rows quarantined + rows in core + rows superseded, for one feed."""
    with warehouse.connect() as con:
        row = con.execute(
            """SELECT rows_read, rows_quarantined, rows_core, rows_superseded
            FROM meta.feed_counts WHERE feed = ?""",
            [feed.name],
        ).fetchone()
        core_now = (
            con.execute(f"SELECT count(*) FROM core.{feed.core_table}").fetchone()[0]
            if feed.core_table
            else None
        )
    if row is None:
        return dg.AssetCheckResult(passed=False, metadata={"error": "feed not validated yet"})
    read, quarantined, core, superseded = (int(x) for x in row)
    balanced = read == quarantined + core + superseded
    consistent = core_now is None or core_now == core
    return dg.AssetCheckResult(
        passed=balanced and consistent,
        metadata={
            "rows_read": read,
            "rows_quarantined": quarantined,
            "rows_core": core,
            "rows_superseded": superseded,
            "difference": read - (quarantined + core + superseded),
        },
    )


def recorded(
    warehouse: Warehouse, asset: str, name: str, result: dg.AssetCheckResult
) -> dg.AssetCheckResult:
    """Keep the outcome in ``meta.check_results`` too (the reports' data-quality appendix)."""
    numbers = {
        k: v.value for k, v in (result.metadata or {}).items() if isinstance(v.value, int | float)
    }
    detail = ", ".join(f"{k}={v}" for k, v in numbers.items())
    with warehouse.connect() as con:
        con.execute(
            """CREATE TABLE IF NOT EXISTS meta.check_results (
                asset VARCHAR, check_name VARCHAR, passed BOOLEAN, detail VARCHAR,
                checked_at TIMESTAMPTZ, PRIMARY KEY (asset, check_name))"""
        )
        con.execute(
            "INSERT OR REPLACE INTO meta.check_results VALUES (?, ?, ?, ?, now())",
            [asset, name, result.passed, detail],
        )
    return result


def _checks_for(feed: Feed, asset: dg.AssetsDefinition) -> list[dg.AssetChecksDefinition]:
    asset_name = asset.key.to_user_string()

    @dg.asset_check(
        asset=asset,
        name="reconciliation",
        blocking=True,
        description=f"Rows read from `{feed.name}*` = quarantined + accepted + superseded.",
    )
    def _reconciliation(warehouse: Warehouse) -> dg.AssetCheckResult:
        return recorded(warehouse, asset_name, "reconciliation", reconciliation(warehouse, feed))

    @dg.asset_check(
        asset=asset,
        name="great_expectations",
        blocking=True,
        description=f"Great Expectations suite of `core.{feed.core_table}` built from the contract.",
    )
    def _suite(warehouse: Warehouse, settings: Settings) -> dg.AssetCheckResult:
        docs = (settings.reports_path / DATA_DOCS_FOLDER).resolve()
        result = run_suite(warehouse, feed, docs)
        return recorded(warehouse, asset_name, "great_expectations", result)

    return [_reconciliation, _suite]


@dg.asset_check(
    asset=erasure_ledger,
    name="reconciliation",
    blocking=True,
    description="Rows read from `erasures*` = quarantined + applied + superseded.",
)
def erasure_reconciliation(warehouse: Warehouse) -> dg.AssetCheckResult:
    result = reconciliation(warehouse, FEEDS_BY_NAME["erasures"])
    return recorded(warehouse, "erasure_ledger", "reconciliation", result)


@dg.asset_check(
    asset=erasure_ledger,
    name="erasure_complete",
    blocking=True,
    description="No row of raw, quarantine, core or marts names an erased person or their matches.",
)
def erasure_complete(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        left = erasure.remaining(con)
    result = dg.AssetCheckResult(passed=left == 0, metadata={"rows_naming_erased": left})
    return recorded(warehouse, "erasure_ledger", "erasure_complete", result)


INGEST_CHECKS: list[dg.AssetChecksDefinition] = [
    erasure_reconciliation,
    erasure_complete,
    *[c for name, asset in CORE_ASSETS.items() for c in _checks_for(FEEDS_BY_NAME[name], asset)],
]
