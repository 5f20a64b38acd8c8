"""Fault injection: runs of the documented command line killed with SIGKILL at chosen points.

CONTRACT.md: "A run killed at any moment leaves every table with its content from before or
after the asset that was running, no leftover staging table in raw, core, quarantine or
marts, and no partial or temporary file in BT_REPORTS. A second run started while one is
writing waits or fails with a message that says the warehouse is locked or busy."

Two sample inboxes of different seeds: A (the "previous" export) and B (the new one).
Reference runs: ``old`` = a complete run on A, ``new`` = a copy of ``old`` plus a complete run
on B. Then, on another copy of ``old``, runs on B are killed one after the other at later and
later points (each run starts from what the kill before it left): while the large feedback
CSV is being read, during ``core_feedback``, right after the Great Expectations check of
``core.feedback`` removed the previous Data Docs, during ``impact_metrics`` and between two
funders' reports. The step a kill hits is found in the run's own log (``STEP_START`` lines,
read as they come); the steps before it must have left the new content, the steps after it
the content from before the run, and the step itself either. Finally one uninterrupted run
must reproduce the reference. Inbox B has no erasures file, so the purge (which touches every
table) changes nothing and each table's content belongs to exactly one step.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.sample_data import DEFAULT_AS_OF, generate

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
AS_OF = DEFAULT_AS_OF.isoformat()
PARTICIPANTS = 20_000
FUNDERS = ("esf-zukunftsplattform", "elbe-bridges-foundation")  # one German, one English
FEEDS = {
    "registrations": "participants",
    "matches": "matches",
    "feedback": "feedback",
    "surveys": "surveys",
    "erasures": None,
}
#: Columns holding the time of a run rather than data: left out of content comparisons.
VOLATILE_COLUMNS = {
    "_ingested_at",
    "ingested_at",
    "validated_at",
    "recorded_at",
    "checked_at",
    "built_at",
}
#: Report lines that name the run itself (its id, code version, time): left out as well.
VOLATILE_LINE = re.compile(
    r"(Run id|Lauf-ID|Code version|Code-Version|generated on|erstellt am)", re.IGNORECASE
)
STEP_START = re.compile(r'STEP_START - Started execution of step "(\w+)"')
STEP_SUCCESS = re.compile(r'STEP_SUCCESS - Finished execution of step "(\w+)"')
MATERIALIZE_ALL = ("asset", "materialize", "-m", "pipelines.definitions", "--select", "*")


# --------------------------------------------------------------------------------------------
# sites (warehouse + reports + Dagster home) and runs of the CLI


@dataclass
class Site:
    root: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def env(self, inbox: Path, funders: Path, home: Path) -> dict[str, str]:
        return {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "BT_INBOX": str(inbox),
            "BT_WAREHOUSE": str(self.warehouse),
            "BT_REPORTS": str(self.reports),
            "BT_FUNDERS": str(funders),
            "BT_AS_OF": AS_OF,
            "GX_ANALYTICS_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
        }

    def copy_to(self, root: Path) -> Site:
        root.mkdir(parents=True)
        for path in self.root.iterdir():
            if path.is_file() and path.name.startswith(self.warehouse.name):  # and any WAL
                shutil.copy2(path, root / path.name)
        shutil.copytree(self.reports, root / "reports")
        return Site(root)


def dagster_home(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return path


class CliRun:
    """``dagster asset materialize --select '*'`` in its own process group; output read live."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        # Run from an empty folder: one holding a folder named like a package of the
        # project (a BT_REPORTS called "reports") would shadow it on Dagster's sys.path.
        cwd.mkdir(parents=True, exist_ok=True)
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            [str(BIN / "dagster"), *MATERIALIZE_ALL],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            with self._cond:
                self.lines.append(raw.decode("utf-8", errors="replace"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 180) -> str:
        """Block until an output line matches; returns it (fails on timeout or exit)."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self.lines[seen:]:
                    if pattern.search(line):
                        return line
                seen = len(self.lines)
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"run ended before {pattern.pattern!r}:\n{self.tail()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {pattern.pattern!r} in {timeout} s:\n{self.tail()}")
                self._cond.wait(min(left, 0.05))

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)
        self._reader.join(timeout=60)

    def finish(self, timeout: float = 600) -> int:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self._reader.join(timeout=60)
        return code

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def tail(self, n: int = 4000) -> str:
        return self.text[-n:]

    def steps(self, pattern: re.Pattern[str]) -> set[str]:
        return {m.group(1) for line in self.lines for m in [pattern.search(line)] if m}


def run_to_end(site: Site, inbox: Path, funders: Path, home: Path) -> CliRun:
    run = CliRun(site.env(inbox, funders, home), site.root / "cwd")
    code = run.finish()
    assert code == 0 and "RUN_SUCCESS" in run.text, run.tail()
    return run


# --------------------------------------------------------------------------------------------
# what a warehouse and a reports folder hold, and what is left over


def warehouse_state(path: Path) -> tuple[dict[str, tuple], set[str]]:
    """Content hash per unit, and every table/view name in the database.

    A unit is a whole table, except the meta tables that several assets write a row of
    each (``meta.feed_counts`` per feed, ``meta.check_results`` per check, ``meta.builds``
    per asset): there each row is a unit.
    """
    units: dict[str, tuple] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        names = {
            f"{s}.{t}"
            for s, t in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() UNION ALL "
                "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        }
        for name in sorted(names):
            schema, table = name.split(".", 1)
            if schema not in ("raw", "core", "quarantine", "marts", "meta"):
                continue
            exprs = []
            for col, *_ in con.execute(f'DESCRIBE "{schema}"."{table}"').fetchall():
                if col in VOLATILE_COLUMNS:
                    continue
                exprs.append(f'"{col}"')
            row_hash = f"hash({', '.join(exprs)})"
            if name == "meta.feed_counts":
                for feed, h in con.execute(f"SELECT feed, {row_hash} FROM {name}").fetchall():
                    units[f"{name}[{feed}]"] = (h,)
            elif name == "meta.builds":
                # A check's remembered result names its Data Docs folder (a random name).
                for asset, h, h_check in con.execute(
                    f"SELECT asset, {row_hash}, hash(asset, inputs) FROM {name}"
                ).fetchall():
                    units[f"{name}[{asset}]"] = (h_check if asset.startswith("check ") else h,)
            elif name == "meta.check_results":
                for asset, check, h in con.execute(
                    f"SELECT asset, check_name, {row_hash} FROM {name}"
                ).fetchall():
                    units[f"{name}[{asset}_{check}]"] = (h,)
            else:
                units[name] = con.execute(
                    f'SELECT count(*), sum({row_hash}::HUGEINT) FROM "{schema}"."{table}"'
                ).fetchone()
    return units, names


def _normal_text(text: str) -> str:
    """The text without the lines naming the run (its id, the code version, the time)."""
    return "\n".join(line for line in text.splitlines() if not VOLATILE_LINE.search(line))


def _pdf_state(data: bytes) -> tuple:
    from pypdf import PdfReader

    if not (data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")):
        return ("not a complete PDF", len(data))
    try:
        reader = PdfReader(io.BytesIO(data))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as exc:  # a damaged PDF is a finding, not a crash of the test
        return ("unreadable PDF", type(exc).__name__)
    return ("pdf", len(reader.pages), hashlib.sha256(_normal_text(text).encode()).hexdigest())


def _docs_state(site: Path) -> str:
    """'complete' when the Data Docs site has its index and every page is whole."""
    index = site / "index.html"
    if not index.is_file():
        return "no index.html"
    for page in site.rglob("*.html"):
        if not page.read_bytes().rstrip().endswith(b"</html>"):
            return f"partial page {page.relative_to(site)}"
    return "complete"


def reports_state(root: Path) -> dict[str, tuple | str]:
    """A comparable fingerprint of every file under BT_REPORTS (run id, time, version aside)."""
    state: dict[str, tuple | str] = {}
    if not root.exists():
        return state
    docs = root / "data_docs"
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or rel.startswith("data_docs/"):
            continue
        data = path.read_bytes()
        if path.suffix == ".pdf":
            state[rel] = _pdf_state(data)
        elif path.name == "metrics.csv":
            rows = csv.reader(io.StringIO(data.decode("utf-8")))
            state[rel] = ("csv", hashlib.sha256(data).hexdigest(), sum(1 for _ in rows))
        elif path.suffix == ".html":
            text = data.decode("utf-8", errors="replace")
            whole = text.rstrip().endswith("</html>")
            state[rel] = ("html", whole, hashlib.sha256(_normal_text(text).encode()).hexdigest())
        else:
            state[rel] = ("bytes", hashlib.sha256(data).hexdigest())
    if docs.is_dir():
        state["data_docs/index.html"] = (
            _docs_state(docs) if (docs / "index.html").is_file() else "missing"
        )
        # The index links each table's latest build (latest.json); that build must be whole.
        latest_file = docs / "latest.json"
        latest = json.loads(latest_file.read_text("utf-8")) if latest_file.is_file() else {}
        for table, folder in sorted(latest.items()):
            state[f"data_docs/{table}"] = _docs_state(docs / folder)
    return state


def leftovers(root: Path) -> list[str]:
    """Temporary or hidden files and folders under BT_REPORTS."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.name.startswith(".") or p.name.endswith((".tmp", ".part", "~"))
    )


def owner_step(unit: str) -> str:
    """The step that writes a warehouse unit or a report file."""
    if unit.startswith(("raw.", "meta.source_files")):
        return "raw_inbox"
    if unit.startswith("meta.check_results["):
        return unit[len("meta.check_results[") : -1]
    if unit.startswith("meta.builds[check "):  # a check's remembered result
        _, asset, check = unit[len("meta.builds[") : -1].split(" ")
        return f"{asset}_{check}"
    if unit == "meta.builds[erasure_purge]":
        return "erasure_ledger"
    if unit.startswith("meta.builds["):
        return unit[len("meta.builds[") : -1]
    if unit.startswith("meta.feed_counts["):
        feed = unit[len("meta.feed_counts[") : -1]
        return f"core_{FEEDS[feed]}" if FEEDS[feed] else "erasure_ledger"
    if unit in ("meta.erasure_ledger", "quarantine.erasures"):
        return "erasure_ledger"
    if unit.startswith("quarantine."):
        return f"core_{FEEDS[unit.split('.')[1]]}"
    if unit.startswith("core."):
        return f"core_{unit.split('.')[1]}"
    if unit.startswith("marts."):
        return unit.split(".")[1]
    if unit.startswith("proposals/"):
        return "match_proposals"
    if unit.startswith("data_docs/"):
        return f"core_{unit.split('/')[1]}_great_expectations"
    return "funder_reports"


# --------------------------------------------------------------------------------------------
# the references and the chain of killed runs


@dataclass
class World:
    tmp: Path
    inbox_a: Path
    inbox_b: Path
    funders: Path
    old: Site
    new: Site
    old_db: dict[str, tuple]
    new_db: dict[str, tuple]
    names: set[str]
    old_reports: dict[str, tuple | str]
    new_reports: dict[str, tuple | str]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    tmp = tmp_path_factory.mktemp("faults")
    inbox_a, inbox_b = tmp / "inbox_a", tmp / "inbox_b"
    all_funders, funders = tmp / "funders_all.toml", tmp / "funders.toml"
    generate(inbox_a, participants=PARTICIPANTS, seed=101, bad_rows=True, funders_path=all_funders)
    generate(inbox_b, participants=PARTICIPANTS, seed=202, bad_rows=True)
    for path in inbox_b.glob("erasures*"):
        path.unlink()
    blocks = all_funders.read_text().split("[[funder]]")[1:]
    funders.write_text(
        "".join("[[funder]]" + b for b in blocks if any(f'"{f}"' in b for f in FUNDERS))
    )
    old = Site(tmp / "old")
    old.root.mkdir()
    run_to_end(old, inbox_a, funders, dagster_home(tmp / "home_old"))
    new = old.copy_to(tmp / "new")
    run_to_end(new, inbox_b, funders, dagster_home(tmp / "home_new"))
    old_db, _ = warehouse_state(old.warehouse)
    new_db, names = warehouse_state(new.warehouse)
    return World(
        tmp,
        inbox_a,
        inbox_b,
        funders,
        old,
        new,
        old_db,
        new_db,
        names,
        reports_state(old.reports),
        reports_state(new.reports),
    )


@dataclass(frozen=True)
class KillPoint:
    step: str
    trigger: Callable[[World], re.Pattern[str]]
    delay: float = 0.0
    #: Kill as soon as this holds for (site, start of the run as time.time()), polled every
    #: 2 ms after the trigger line; at the latest ``delay`` seconds after it.
    until: Callable[[Site, float], bool] | None = None
    #: Whether the kill must land inside ``step`` (else: wherever ``until`` or the delay says).
    must_hit: bool = True


def _largest_csv_read(world: World) -> re.Pattern[str]:
    big = max(world.inbox_b.glob("*.csv"), key=lambda p: p.stat().st_size)
    return re.compile(rf"reading {re.escape(big.name)} \(")


def _step_start(step: str) -> Callable[[World], re.Pattern[str]]:
    return lambda _: re.compile(rf'STEP_START - Started execution of step "{step}"')


def _new_docs_built(site: Site, _: float) -> bool:
    """A new Data Docs build of core.feedback exists beside the published one."""
    return len(list((site.reports / "data_docs").glob("feedback-*"))) > 1


def _first_report_file_written(site: Site, run_started: float) -> bool:
    for funder in FUNDERS:
        for name in ("metrics.csv", "report.html", "report.pdf"):
            path = site.reports / funder / name
            if path.exists() and path.stat().st_mtime > run_started:
                return True
    return False


KILL_POINTS = [
    # While the largest CSV of the new export (18 MB) is being read.
    KillPoint("raw_inbox", _largest_csv_read, delay=0.25),
    KillPoint("core_feedback", _step_start("core_feedback"), delay=0.4),
    # While the check's new Data Docs build of core.feedback exists beside the published one.
    KillPoint(
        "core_feedback_great_expectations",
        _step_start("core_feedback_great_expectations"),
        delay=3.0,
        until=_new_docs_built,
        must_hit=False,  # the build-to-publish window is short and may be missed
    ),
    KillPoint("impact_metrics", _step_start("impact_metrics"), delay=0.5),
    # Right after the first report file of this run replaced the previous one.
    KillPoint(
        "funder_reports",
        _step_start("funder_reports"),
        delay=60,
        until=_first_report_file_written,
    ),
]


@dataclass
class Findings:
    started: set[str] = field(default_factory=set)
    completed: set[str] = field(default_factory=set)
    warehouse: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    kill_after: float = 0.0
    until_fired: bool = False


def _version(after, before, new) -> str:
    if after == before and after == new:
        return "either"
    if after == before:
        return "before"
    if after == new:
        return "new"
    return "neither"


def _judge(
    kind: str,
    after: dict,
    before: dict,
    new: dict,
    started: set[str],
    completed: set[str],
    out: Findings,
    problems: list[str],
) -> None:
    """Each unit: new if its step completed, as before if it never started, else either."""
    groups: dict[str, set[str]] = {}
    for unit in sorted(set(after) | set(before) | set(new)):
        step = owner_step(unit)
        version = _version(after.get(unit), before.get(unit), new.get(unit))
        out.versions[unit] = version
        if step in completed:
            allowed = {"new", "either"}
        elif step in started:
            allowed = {"before", "new", "either"}
        else:
            allowed = {"before", "either"}
        if version not in allowed:
            problems.append(
                f"{kind} {unit} ({step}): {version}, expected one of {sorted(allowed)}; "
                f"after={after.get(unit)!r:.200} before={before.get(unit)!r:.200} "
                f"new={new.get(unit)!r:.200}"
            )
        if step in started - completed and version in ("before", "new"):
            groups.setdefault(step, set()).add(version)
    for step, versions in groups.items():
        if kind == "table" and len(versions) > 1:
            problems.append(f"the tables of {step} mix content from before and after it")


def judge_after_kill(world: World, site: Site, run: CliRun, before_db, before_reports) -> Findings:
    found = Findings(started=run.steps(STEP_START), completed=run.steps(STEP_SUCCESS))
    try:
        after_db, names = warehouse_state(site.warehouse)
    except duckdb.Error as exc:
        found.warehouse.append(f"the warehouse does not open: {exc}")
        return found
    extra = sorted(names - world.names)
    if extra:
        found.warehouse.append(f"staging or unknown tables/views left: {extra}")
    _judge(
        "table",
        after_db,
        before_db,
        world.new_db,
        found.started,
        found.completed,
        found,
        found.warehouse,
    )
    after_reports = reports_state(site.reports)
    for rel in leftovers(site.reports):
        found.reports.append(f"temporary or hidden file left: {rel}")
    for rel, state in after_reports.items():
        if rel.endswith(".pdf") and state[0] != "pdf":
            found.reports.append(f"{rel}: {state}")
        if rel.endswith(".html") and isinstance(state, tuple) and not state[1]:
            found.reports.append(f"{rel}: not a whole HTML page")
        if rel.startswith("data_docs/") and state != "complete":
            found.reports.append(f"{rel}: Data Docs {state}")
    docs_free = {k: v for k, v in after_reports.items() if not k.startswith("data_docs/")}
    _judge(
        "file",
        docs_free,
        {k: v for k, v in before_reports.items() if not k.startswith("data_docs/")},
        {k: v for k, v in world.new_reports.items() if not k.startswith("data_docs/")},
        found.started,
        found.completed,
        found,
        found.reports,
    )
    return found


@dataclass
class Chain:
    findings: dict[str, Findings]
    final_db: dict[str, tuple]
    final_names: set[str]
    final_reports: dict[str, tuple | str]
    final_leftovers: list[str]
    final_site: Site
    seconds: dict[str, float]


@pytest.fixture(scope="module")
def chain(world: World) -> Chain:
    site = world.old.copy_to(world.tmp / "killed")
    findings: dict[str, Findings] = {}
    seconds: dict[str, float] = {}
    for i, point in enumerate(KILL_POINTS):
        before_db, _ = warehouse_state(site.warehouse)
        before_reports = reports_state(site.reports)
        started, wall_start = time.monotonic(), time.time()
        run = CliRun(
            site.env(world.inbox_b, world.funders, dagster_home(world.tmp / f"home_kill{i}")),
            site.root / "cwd",
        )
        run.wait_for(point.trigger(world))
        triggered = time.monotonic()
        deadline = triggered + point.delay
        fired = False
        while time.monotonic() < deadline and not fired:
            fired = bool(point.until and point.until(site, wall_start))
            if not fired:
                time.sleep(0.002)
        kill_after = time.monotonic() - triggered
        run.kill()
        seconds[point.step] = time.monotonic() - started
        found = judge_after_kill(world, site, run, before_db, before_reports)
        found.kill_after, found.until_fired = kill_after, fired
        missed = point.step not in found.started or point.step in found.completed
        if missed and point.must_hit:
            found.warehouse.append(
                f"the kill missed {point.step}: started {sorted(found.started)}, "
                f"completed {sorted(found.completed)}"
            )
        findings[point.step] = found
    started = time.monotonic()
    run_to_end(site, world.inbox_b, world.funders, dagster_home(world.tmp / "home_final"))
    seconds["final run"] = time.monotonic() - started
    final_db, final_names = warehouse_state(site.warehouse)
    return Chain(
        findings,
        final_db,
        final_names,
        reports_state(site.reports),
        leftovers(site.reports),
        site,
        seconds,
    )


# --------------------------------------------------------------------------------------------
# tests


def test_the_reference_runs_differ_so_old_and_new_can_be_told_apart(world: World) -> None:
    differ = {u for u in world.new_db if world.old_db.get(u) != world.new_db[u]}
    for unit in (
        "raw.feedback",
        "core.participants",
        "quarantine.feedback",
        "marts.impact_metrics",
    ):
        assert unit in differ, unit
    for funder in FUNDERS:
        assert (
            world.old_reports[f"{funder}/report.pdf"] != world.new_reports[f"{funder}/report.pdf"]
        )
        assert world.new_reports[f"{funder}/report.pdf"][0] == "pdf"
    assert not leftovers(world.new.reports)


@pytest.mark.parametrize("point", [p.step for p in KILL_POINTS])
def test_a_killed_run_leaves_each_table_old_or_new(chain: Chain, point: str) -> None:
    found = chain.findings[point]
    print(
        f"{point}: killed {found.kill_after:.2f} s after the trigger"
        + (" (condition met)" if found.until_fired else ""),
        "during",
        sorted(found.started - found.completed),
    )
    print({u: v for u, v in found.versions.items() if v != "either"})
    assert not found.warehouse, "\n".join(found.warehouse)


@pytest.mark.parametrize(
    "point",
    [p.step for p in KILL_POINTS],
)
def test_a_killed_run_leaves_no_partial_or_temporary_report_file(chain: Chain, point: str) -> None:
    found = chain.findings[point]
    assert not found.reports, "\n".join(found.reports)


def test_an_uninterrupted_run_after_the_kills_reproduces_the_reference(
    world: World, chain: Chain
) -> None:
    print("seconds:", {k: round(v, 1) for k, v in chain.seconds.items()})
    assert chain.final_names == world.names
    wrong = {
        u
        for u in world.new_db.keys() | chain.final_db.keys()
        if chain.final_db.get(u) != world.new_db.get(u)
    }
    assert not wrong, sorted(wrong)
    assert chain.final_reports == world.new_reports
    assert not chain.final_leftovers


def test_metrics_csv_is_byte_identical_after_the_kills(world: World, chain: Chain) -> None:
    for funder in FUNDERS:
        rel = f"{funder}/metrics.csv"
        assert (chain.final_site.reports / rel).read_bytes() == (
            world.new.reports / rel
        ).read_bytes()


def test_a_second_run_waits_or_fails_saying_locked_or_busy(world: World) -> None:
    site = world.old.copy_to(world.tmp / "concurrent")
    home1, home2 = dagster_home(world.tmp / "h1"), dagster_home(world.tmp / "h2")
    first = CliRun(site.env(world.inbox_b, world.funders, home1), site.root / "cwd")
    first.wait_for(STEP_START)  # the first run is writing (raw_inbox has started)
    # A separate Dagster home: the two runs share only the warehouse and BT_REPORTS.
    second = CliRun(site.env(world.inbox_b, world.funders, home2), site.root / "cwd")
    assert first.finish() == 0, first.tail()
    code = second.finish()
    waits = sum("is locked" in line or "lock" in line.lower() for line in second.lines)
    print(f"second run: exit code {code}, {waits} line(s) about the lock")
    if code == 0:
        assert "RUN_SUCCESS" in second.text, second.tail()
    else:
        assert re.search(r"locked|busy", second.text, re.IGNORECASE), second.tail()
    db, names = warehouse_state(site.warehouse)
    assert names == world.names
    wrong = {u for u in world.new_db.keys() | db.keys() if db.get(u) != world.new_db.get(u)}
    assert not wrong, sorted(wrong)
    assert reports_state(site.reports) == world.new_reports
    assert not leftovers(site.reports)


# Regression test: a damaged warehouse file used to be reported as locked.
def test_a_damaged_warehouse_file_is_not_reported_as_locked(tmp_path: Path) -> None:
    from pipelines.defs.ingest.assets import raw_inbox
    from pipelines.resources import Settings, Warehouse

    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(b"\x00garbage, not a DuckDB database" * 512)
    (tmp_path / "inbox").mkdir()
    result = dg.materialize(
        [raw_inbox],
        resources={
            "settings": Settings(inbox=str(tmp_path / "inbox"), as_of=AS_OF),
            "warehouse": Warehouse(path=str(warehouse), lock_timeout_s=1),
        },
        raise_on_error=False,
    )
    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error
    message = (error.cause or error).message
    assert "locked" not in message and "busy" not in message, message
