"""Ingest assets: inbox files -> ``raw.*`` (group ingest) -> ``core.*`` + ``quarantine.*`` (group core).

All feeds are read in one step and one transaction, so a file that cannot be read fails the
run naming the file and leaves the warehouse exactly as it was. Each core asset validates its
feed in one transaction and records the reconciliation counts its checks verify.
"""

from collections.abc import Iterator
from datetime import date

import dagster as dg
import duckdb
from dagster import AssetExecutionContext

from pipelines.contract import ERASURES, FEEDBACK, FEEDS, MATCHES, REGISTRATIONS, SURVEYS, Feed
from pipelines.defs.ingest import erasure, incremental
from pipelines.defs.ingest.read import (
    create_raw_table,
    discover,
    plan_ingest,
    read_file,
    text_scans,
)
from pipelines.defs.ingest.validate import FeedCounts, validate_feed
from pipelines.defs.metadata import table_metadata
from pipelines.resources import Settings, Warehouse, transaction

OWNERS = ["team:data-engineering"]


def raw_key(feed: Feed) -> dg.AssetKey:
    return dg.AssetKey(f"raw_{feed.name}")


RAW_SPECS = [
    dg.AssetSpec(
        raw_key(feed),
        group_name="ingest",
        kinds={"duckdb"},
        owners=OWNERS,
        description=f"Every `{feed.name}*` export of the inbox (CSV, Parquet, JSONL), "
        f"as text with source file and row, in `raw.{feed.name}`.",
    )
    for feed in FEEDS
]


def _ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """CREATE TABLE IF NOT EXISTS meta.source_files (
            feed VARCHAR, file_name VARCHAR, size BIGINT, mtime_ns BIGINT, sha256 VARCHAR,
            rows_read BIGINT, ingested_at TIMESTAMPTZ)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS meta.feed_counts (
            feed VARCHAR PRIMARY KEY, rows_read BIGINT, rows_quarantined BIGINT,
            rows_core BIGINT, rows_superseded BIGINT, validated_at TIMESTAMPTZ)"""
    )


@dg.multi_asset(specs=RAW_SPECS, can_subset=False, name="raw_inbox")
def raw_inbox(
    context: AssetExecutionContext, settings: Settings, warehouse: Warehouse
) -> Iterator[dg.MaterializeResult]:
    """Read the inbox into the raw tables, all feeds in one transaction, incrementally.

    Raw rows are kept per source file: a file already ingested with the same name and
    SHA-256 is not read again, a changed file replaces its rows, a file that left the inbox
    takes its rows with it. Core, marts and reports are then rebuilt from the warehouse.
    """
    rows_read: dict[str, int] = {f.name: 0 for f in FEEDS}
    with warehouse.connect() as con:
        _ensure_meta(con)
        known = {
            name: (size, mtime, digest)
            for name, size, mtime, digest in con.execute(
                "SELECT file_name, size, mtime_ns, sha256 FROM meta.source_files"
            ).fetchall()
        }
        files = discover(settings.inbox_path, known)
        with transaction(con):
            fresh = {
                feed.name: create_raw_table(con, feed, f"raw.{feed.name}", replace=False)
                for feed in FEEDS
            }
            ingested = {
                name: (feed, digest)
                for feed, name, digest in con.execute(
                    "SELECT feed, file_name, sha256 FROM meta.source_files"
                ).fetchall()
                if not fresh[feed]  # a recreated table holds nothing of any file
            }
            plan = plan_ingest(files, ingested)
            for feed, name in plan.drop:
                con.execute(f"DELETE FROM raw.{feed} WHERE _source_file = ?", [name])
            # Kept files keep their first ingest's row count and time; only the
            # modification time is refreshed (it orders later exports).
            con.execute("CREATE OR REPLACE TEMP TABLE _bt_prev AS SELECT * FROM meta.source_files")
            con.execute("DELETE FROM meta.source_files")
            for source in plan.keep:
                con.execute(
                    """INSERT INTO meta.source_files
                    SELECT feed, file_name, ?, ?, sha256, rows_read, ingested_at
                    FROM _bt_prev WHERE file_name = ?""",
                    [source.size, source.mtime_ns, source.name],
                )
            con.execute("DROP TABLE _bt_prev")
            with text_scans(plan.read) as scans:
                for source in plan.read:
                    context.log.info(f"reading {source.name} ({source.size:,} bytes)")
                    n = read_file(con, source, f"raw.{source.feed}", scans.get(source.name))
                    rows_read[source.feed] += n
                    con.execute(
                        "INSERT INTO meta.source_files VALUES (?, ?, ?, ?, ?, ?, now())",
                        [source.feed, source.name, source.size, source.mtime_ns, source.sha256, n],
                    )
        schemas = {feed.name: table_metadata(con, f"raw.{feed.name}") for feed in FEEDS}
    context.log.info(
        f"{len(plan.read)} file(s) read, {len(plan.keep)} unchanged, "
        f"{len(plan.drop)} file(s) replaced or removed"
    )
    for feed in FEEDS:
        feed_files = [f for f in files if f.feed == feed.name]
        yield dg.MaterializeResult(
            asset_key=raw_key(feed),
            metadata={
                **schemas[feed.name],
                "rows_read_this_run": rows_read[feed.name],
                "files": len(feed_files),
                "files_read_this_run": sum(1 for f in plan.read if f.feed == feed.name),
                "bytes": sum(f.size for f in feed_files),
            },
        )


def _record_counts(con: duckdb.DuckDBPyConnection, counts: FeedCounts) -> None:
    con.execute(
        "INSERT OR REPLACE INTO meta.feed_counts VALUES (?, ?, ?, ?, ?, now())",
        [
            counts.feed,
            counts.rows_read,
            counts.rows_quarantined,
            counts.rows_core,
            counts.rows_superseded,
        ],
    )


def _counts_metadata(counts: FeedCounts) -> dict[str, int]:
    return {
        "dagster/row_count": counts.rows_core,
        "rows_read": counts.rows_read,
        "rows_quarantined": counts.rows_quarantined,
        "rows_superseded": counts.rows_superseded,
    }


def _previous_counts(con: duckdb.DuckDBPyConnection, feed: Feed) -> FeedCounts | None:
    row = con.execute(
        """SELECT rows_read, rows_quarantined, rows_core, rows_superseded
        FROM meta.feed_counts WHERE feed = ?""",
        [feed.name],
    ).fetchall()
    return FeedCounts(feed.name, *row[0]) if row else None


def _validate(
    warehouse: Warehouse, feed: Feed, as_of: date
) -> tuple[FeedCounts, incremental.Decision, dict]:
    """Validate ``feed`` wholly, only its new files, or not at all (see ``incremental``)."""
    core_table = f"core.{feed.core_table}"
    with warehouse.connect() as con:
        _ensure_meta(con)
        with transaction(con):
            state = incremental.current_state(con, feed, as_of)
            decision = incremental.decide(incremental.previous_state(con, feed), state)
            previous = _previous_counts(con, feed)
            present = all(
                incremental.table_exists(con, t) for t in (core_table, f"quarantine.{feed.name}")
            )
            if previous is None or not present:
                decision = incremental.Decision("full")
            if decision.mode == "current":
                counts = previous
            else:
                counts = validate_feed(
                    con,
                    feed,
                    as_of,
                    core_table,
                    only_files=list(decision.new_files) if decision.mode == "increment" else None,
                    previous=previous,
                )
            _record_counts(con, counts)
            incremental.record_state(con, feed, state)
        return counts, decision, table_metadata(con, core_table)


@dg.asset(
    deps=[raw_key(f) for f in FEEDS],
    group_name="core",
    kinds={"duckdb"},
    owners=OWNERS,
)
def erasure_ledger(settings: Settings, warehouse: Warehouse) -> dg.MaterializeResult:
    """Record valid erasure requests as hashes in `meta.erasure_ledger` and purge every table of the erased."""
    with warehouse.connect() as con:
        _ensure_meta(con)
        with transaction(con):
            counts = validate_feed(con, ERASURES, settings.as_of_date(), "_bt_erasures")
            new = erasure.record_requests(con, "_bt_erasures")
            con.execute("DROP TABLE _bt_erasures")
            scope = erasure.purge_scope(con)
            purged = erasure.purge(con, scope)
            deleted = purged.deleted
            erasure.record_purge(con)
            _record_counts(con, counts)
            ledger = con.execute(
                "SELECT count(*) FILTER (kind = 'participant'), count(*) FILTER (kind = 'match') "
                "FROM meta.erasure_ledger"
            ).fetchone()
    return dg.MaterializeResult(
        metadata={
            **_counts_metadata(counts),
            "dagster/row_count": ledger[0],
            "erased_people": ledger[0],
            "erased_matches": ledger[1],
            "new_ledger_entries": new,
            "rows_purged": sum(deleted.values()),
            "rows_purged_per_table": dg.MetadataValue.json(deleted),
            "purge": "every table"
            if purged.every_table
            else f"raw rows of the {len(scope)} file(s) read since the last purge "
            "(ledger unchanged, every other row already purged)",
        }
    )


def _core_asset(feed: Feed, deps: list) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"core_{feed.core_table}",
        deps=[raw_key(feed), *deps],
        group_name="core",
        kinds={"duckdb", "great_expectations"},
        owners=OWNERS,
        description=f"Valid `{feed.name}` rows, typed and de-duplicated per "
        f"{' + '.join(feed.key)}, in `core.{feed.core_table}`; rejected rows with their "
        f"reason in `quarantine.{feed.name}`.",
    )
    def _asset(settings: Settings, warehouse: Warehouse) -> dg.MaterializeResult:
        counts, decision, schema = _validate(warehouse, feed, settings.as_of_date())
        how = {
            "full": "every row validated",
            "increment": f"only the {len(decision.new_files)} new file(s) validated and merged",
            "current": "unchanged since the last run: nothing validated",
        }[decision.mode]
        return dg.MaterializeResult(
            metadata={**schema, **_counts_metadata(counts), "validation": how}
        )

    return _asset


core_participants = _core_asset(REGISTRATIONS, [erasure_ledger])
core_matches = _core_asset(MATCHES, [erasure_ledger, core_participants])
core_feedback = _core_asset(FEEDBACK, [erasure_ledger, core_participants, core_matches])
core_surveys = _core_asset(SURVEYS, [erasure_ledger, core_participants])

CORE_ASSETS = {
    REGISTRATIONS.name: core_participants,
    MATCHES.name: core_matches,
    FEEDBACK.name: core_feedback,
    SURVEYS.name: core_surveys,
}
