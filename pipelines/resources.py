"""Dagster resources: the ``BT_*`` settings of the contract and the DuckDB warehouse.

Every setting is a resource field bound to its environment variable with ``dg.EnvVar`` when
the variable is set, and to the contract's default otherwise; tests build the resources with
temporary paths instead.
"""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb

BERLIN = ZoneInfo("Europe/Berlin")

DEFAULTS: dict[str, str] = {
    "BT_INBOX": "data/inbox",
    "BT_WAREHOUSE": "data/warehouse.duckdb",
    "BT_REPORTS": "data/reports",
    "BT_FUNDERS": "data/funders.toml",
    "BT_AS_OF": "",
}


def env_or_default(name: str) -> str | dg.EnvVar:
    """``dg.EnvVar(name)`` when the variable is set, else the contract's default."""
    return dg.EnvVar(name) if os.environ.get(name) else DEFAULTS[name]


def parse_as_of(value: str) -> date:
    """``BT_AS_OF`` as a date: a date, or a timestamp cut to its Berlin date; empty = today UTC."""
    text = value.strip()
    if not text:
        return datetime.now(UTC).date()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"BT_AS_OF must be an ISO date or timestamp, got {value!r}") from exc
    if stamp.tzinfo is None:
        return stamp.date()
    return stamp.astimezone(BERLIN).date()


class Settings(dg.ConfigurableResource):
    """Where the pipeline reads and writes, and its reference date (CONTRACT.md, Configuration)."""

    inbox: str = DEFAULTS["BT_INBOX"]
    reports: str = DEFAULTS["BT_REPORTS"]
    funders: str = DEFAULTS["BT_FUNDERS"]
    as_of: str = DEFAULTS["BT_AS_OF"]

    @property
    def inbox_path(self) -> Path:
        return Path(self.inbox)

    @property
    def reports_path(self) -> Path:
        return Path(self.reports)

    @property
    def funders_path(self) -> Path:
        return Path(self.funders)

    def as_of_date(self) -> date:
        """The run's "now" as a Berlin calendar date."""
        return parse_as_of(self.as_of)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Everything inside is committed together or, on any error or kill, not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


class WarehouseBusyError(RuntimeError):
    """Another process holds the DuckDB warehouse's write lock."""


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file. ``connect()`` yields a configured connection.

    DuckDB allows one writing process: a second run waits up to ``lock_timeout_s`` for the
    lock and then fails with a message saying the warehouse is busy.
    """

    path: str = DEFAULTS["BT_WAREHOUSE"]
    lock_timeout_s: float = 30.0
    #: DuckDB spills above this; at 1M participants validation is as fast at 2 GB as at 4 GB
    #: (README, Performance) and keeps the run within a laptop's memory.
    memory_limit: str = "2GB"

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        db = Path(self.path)
        db.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_s
        while True:
            try:
                con = duckdb.connect(str(db))
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise  # not a lock (a damaged or foreign file): say what it is
                if time.monotonic() > deadline:
                    raise WarehouseBusyError(
                        f"warehouse {db.name} is locked by another process (a run is writing); "
                        "try again when it has finished"
                    ) from exc
                time.sleep(0.5)
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(f"SET threads = {max(1, os.cpu_count() or 1)}")
            if self.memory_limit:
                con.execute(f"SET memory_limit = '{self.memory_limit}'")
            for schema in ("raw", "core", "quarantine", "marts", "meta"):
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            yield con
        finally:
            con.close()
