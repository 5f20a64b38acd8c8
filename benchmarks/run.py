"""Scale benchmark of the whole pipeline, with a plain-pandas reference and a DuckDB floor.

Run from the repository root (see ``benchmarks/README.md``)::

    .venv/bin/python -m benchmarks.run --participants 100000 [--seed 42] [--timeout 3600] [--keep]

1. Generates a sample inbox with ``pipelines.sample_data`` (cached per size and seed under
   ``--work``), then runs ``dagster asset materialize --select '*'`` into a fresh warehouse and
   ``DAGSTER_HOME`` as a subprocess: wall time, CPU time and peak RSS of the whole run, and per
   Dagster step its own duration plus CPU and peak RSS of the process tree (``/proc`` sampled
   every 0.2 s and attributed to the step that is running according to the step events).
2. Runs ``benchmarks.pandas_reference`` and ``benchmarks.floor`` the same way, and checks that
   the pandas figures equal ``marts.impact_metrics`` (segment ``all``) and ``meta.feed_counts``.
3. Writes ``<out>/run-N.json`` and ``<out>/run-N.md``.

A subprocess that exceeds ``--timeout`` is killed; the report names the step that was running.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
AS_OF = "2026-11-25"
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")
MB = 1024 * 1024
SAMPLE_S = 0.2
#: Steps doing what the pandas reference does (reading, validation, erasure, outcome metrics).
COMPARABLE = (
    "raw_inbox",
    "erasure_ledger",
    "core_participants",
    "core_matches",
    "core_feedback",
    "core_surveys",
    "match_outcomes",
    "impact_metrics",
)
STEP_EVENT = re.compile(
    r" - \d+ - (?P<step>\S+) - (?P<event>STEP_START|STEP_SUCCESS|STEP_FAILURE"
    r"|ASSET_CHECK_EVALUATION) - (?P<msg>.*)"
)
CHECK = re.compile(r"Asset check '(?P<check>[^']+)' on '(?P<asset>[^']+)'")
PANDAS = [PYTHON, "-m", "benchmarks.pandas_reference", "--as-of", AS_OF]
DURATION = re.compile(r" in (?P<d>[0-9.hms]+)\.\s*$")


def dagster_seconds(text: str) -> float:
    """Dagster's ``format_duration`` back to seconds: ``0.83ms``, ``533ms``, ``5.6s``, ``4m52s``, ``1h4m``."""
    unit = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(v) * unit[u] for v, u in re.findall(r"([0-9.]+)(ms|h|m|s)", text))


# --- the process tree in /proc -----------------------------------------------------------------


def tree_usage(root: int) -> tuple[float, float]:
    """(RSS in MB summed over ``root`` and its descendants, their CPU seconds incl. reaped children)."""
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    stats[int(entry)] = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
    kids: dict[int, list[int]] = {}
    for pid, f in stats.items():
        kids.setdefault(int(f[1]), []).append(pid)
    rss = cpu = 0.0
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            f = stats[pid]
            rss += int(f[21]) * PAGE / MB
            cpu += sum(int(x) for x in f[11:15]) / TICK
            todo += kids.get(pid, [])
    return rss, cpu


# --- measuring one subprocess ------------------------------------------------------------------


@dataclass
class Step:
    """One Dagster step as seen from its events and the /proc samples taken while it ran."""

    name: str
    kind: str = "asset"
    status: str = "running"
    start_s: float = 0.0
    wall_s: float | None = None
    cpu_s: float | None = None
    rss_start_mb: float = 0.0
    peak_rss_mb: float = 0.0
    cpu0: float = field(default=0.0, repr=False)


class StepTracker:
    """Follows ``STEP_START``/``STEP_SUCCESS``/``STEP_FAILURE`` lines of a Dagster run."""

    def __init__(self) -> None:
        self.steps: dict[str, Step] = {}
        self.run_start_s: float | None = None
        self.lock = threading.Lock()

    def running(self) -> list[Step]:
        return [s for s in self.steps.values() if s.status == "running"]

    def where(self) -> list[str]:
        """The running steps, or where between steps the run is."""
        if running := self.running():
            return [s.name for s in running]
        if self.steps:
            return [f"between steps, after {list(self.steps)[-1]}"]
        return ["startup, before the first step"]

    def close(self, step: Step, t: float, cpu: float, rss: float, status: str) -> None:
        step.status = status
        step.wall_s = t - step.start_s
        step.cpu_s = cpu - step.cpu0
        step.peak_rss_mb = max(step.peak_rss_mb, rss)

    def on_line(self, line: str, t: float, pid: int) -> None:
        if self.run_start_s is None and "RUN_START" in line:
            self.run_start_s = t
        m = STEP_EVENT.search(line)
        run_end = " - RUN_SUCCESS - " in line or " - RUN_FAILURE - " in line
        if m is None and not run_end:
            return
        rss, cpu = tree_usage(pid)
        with self.lock:
            if m is None or m["event"] == "STEP_START":
                # Steps run one at a time: a new step (or the run's end) ends the running one,
                # should its end event be missing from the output (Dagster sometimes drops it).
                for step in self.running():
                    self.close(step, t, cpu, rss, "success")
            if m is None:
                return
            name, event, msg = m["step"], m["event"], m["msg"]
            if event == "STEP_START":
                self.steps[name] = Step(
                    name, start_s=t, rss_start_mb=rss, peak_rss_mb=rss, cpu0=cpu
                )
                return
            step = self.steps.setdefault(name, Step(name, start_s=t))
            if event == "ASSET_CHECK_EVALUATION" and (c := CHECK.search(msg)):
                step.kind = f"check {c['check']} on {c['asset']}"
                return
            self.close(step, t, cpu, rss, "success" if event == "STEP_SUCCESS" else "failure")
            if d := DURATION.search(msg):
                step.wall_s = dagster_seconds(d["d"])

    def use_event_log(self, home: Path) -> None:
        """Exact step durations from the newest run's event log in ``home`` (its DAGSTER_HOME)."""
        os.environ["DAGSTER_HOME"] = str(home)
        import dagster as dg

        kinds = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
        with dg.DagsterInstance.get() as instance:
            for run in instance.get_runs(limit=1):
                for record in instance.all_logs(run.run_id, of_type=kinds):
                    step = self.steps.get(record.step_key or "")
                    event = record.dagster_event
                    if step is None or event is None:
                        continue
                    step.status = "success" if event.is_step_success else "failure"
                    ms = getattr(event.event_specific_data, "duration_ms", None)
                    step.wall_s = ms / 1000 if ms is not None else step.wall_s

    def rows(self) -> list[dict[str, Any]]:
        """The steps as plain dicts for the report (without the internal CPU baseline)."""
        rows = [asdict(s) for s in self.steps.values()]
        for row in rows:
            del row["cpu0"]
        return rows

    def sample(self, rss: float) -> None:
        with self.lock:
            for step in self.running():
                step.peak_rss_mb = max(step.peak_rss_mb, rss)


@dataclass
class Measured:
    """Wall and CPU time, peak RSS and outcome of one subprocess."""

    cmd: list[str]
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    tree_peak_rss_mb: float = 0.0
    returncode: int | None = None
    timed_out: bool = False
    killed_in: list[str] = field(default_factory=list)
    log_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def measure(
    cmd: list[str],
    log: Path,
    timeout: float,
    env: dict[str, str] | None = None,
    tracker: StepTracker | None = None,
) -> Measured:
    """Run ``cmd`` (output to ``log``), sampling its process tree; kill it after ``timeout`` s."""
    result = Measured(cmd)
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )

    def pump() -> None:
        assert proc.stdout is not None
        with log.open("w", encoding="utf-8") as fh:
            for line in proc.stdout:
                fh.write(line)
                if tracker is not None:
                    try:
                        tracker.on_line(line, time.perf_counter() - start, proc.pid)
                    except Exception as exc:  # keep draining the pipe whatever happens
                        fh.write(f"[benchmark] step tracking failed on this line: {exc!r}\n")

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        rss, _ = tree_usage(proc.pid)
        result.tree_peak_rss_mb = max(result.tree_peak_rss_mb, rss)
        if tracker is not None:
            tracker.sample(rss)
        if time.perf_counter() - start > timeout:
            result.timed_out = True
            if tracker is not None:
                result.killed_in = tracker.where()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(SAMPLE_S)
    result.wall_s = time.perf_counter() - start
    proc.returncode = result.returncode = os.waitstatus_to_exitcode(status)
    reader.join(timeout=10)
    result.cpu_s = usage.ru_utime + usage.ru_stime
    result.peak_rss_mb = usage.ru_maxrss / 1024
    if tracker is not None:
        for step in tracker.running():
            step.status = "killed" if result.timed_out else "unfinished"
            step.wall_s = result.wall_s - step.start_s
    if not result.ok:
        result.log_tail = "".join(log.read_text(errors="replace").splitlines(True)[-15:])
    return result


# --- the benchmark -----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    mem = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
    return {
        "cpu": model[1].strip() if model else platform.processor(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "ram_gib": round(int(mem[1]) / 1024**2, 1) if mem else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        **{p: version(p) for p in ("duckdb", "polars", "pandas", "pyarrow", "dagster")},
    }


def inbox(work: Path, n: int, seed: int, timeout: float) -> tuple[Path, Path, dict[str, Any]]:
    """The cached sample inbox for ``n`` and ``seed``, generated when missing or when the
    generator's source changed since."""
    folder, funders = work / f"inbox-{n}-{seed}", work / f"funders-{n}-{seed}.toml"
    marker = work / f"inbox-{n}-{seed}.json"
    source = hashlib.sha256()
    for name in ("sample_data.py", "contract.py"):
        source.update((ROOT / "pipelines" / name).read_bytes())
    generator = source.hexdigest()[:16]
    if not marker.exists() or json.loads(marker.read_text()).get("generator") != generator:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        log = work / f"inbox-{n}-{seed}.log"
        cmd = [PYTHON, "-m", "pipelines.sample_data", "--out", str(folder), "--funders"]
        cmd += [str(funders), "--participants", str(n), "--seed", str(seed), "--as-of", AS_OF]
        gen = measure([*cmd, "--no-progress"], log, timeout)
        if not gen.ok:
            raise SystemExit(f"sample data generation failed:\n{gen.log_tail}")
        rows = dict(re.findall(r"^(\w+): (\d+)$", log.read_text(), re.M))
        info = {"rows": {k: int(v) for k, v in rows.items() if k != "funders"}}
        info.update(generator=generator, generated_in_s=round(gen.wall_s, 1))
        marker.write_text(json.dumps(info))
    info = json.loads(marker.read_text())
    files = [p for p in folder.iterdir() if p.is_file()]
    info.update(files=len(files), mb=round(sum(p.stat().st_size for p in files) / MB, 1))
    return folder, funders, info


def linked_inbox(source: Path, target: Path) -> Path:
    """A run's own inbox: symbolic links to the cached exports (so a daily file can be added)."""
    target.mkdir(parents=True)
    for path in sorted(source.iterdir()):
        if path.is_file():
            (target / path.name).symlink_to(path)
    return target


def daily_export(folder: Path, share: float = 0.003) -> dict[str, Any]:
    """Add one day's feedback export to ``folder``: ``share`` of all feedback rows as new rows.

    The rows are copies of existing feedback rows (so they reference known people and
    matches and pass validation) under new ``feedback_id``s, written as one CSV file with a
    later modification time, like the platform's next daily export.
    """
    import duckdb

    with duckdb.connect() as con:
        sources = sorted(str(p) for p in folder.glob("feedback_*.parquet"))
        total = sum(
            con.execute(f"SELECT count(*) FROM read_parquet('{p}')").fetchone()[0] for p in sources
        )
        csv_total = sum(
            con.execute(
                f"SELECT count(*) FROM read_csv('{p}', all_varchar = true, header = true)"
            ).fetchone()[0]
            for p in sorted(folder.glob("feedback_*.csv"))
        )
        rows = int((total + csv_total) * share)
        target = folder / "feedback_2026-11-25_daily.csv"
        con.execute(
            f"""COPY (
                SELECT * REPLACE ('daily-' || feedback_id AS feedback_id)
                FROM read_parquet({sources!r}) USING SAMPLE reservoir({rows} ROWS) REPEATABLE (7)
                ORDER BY feedback_id
            ) TO '{target}' (HEADER, DELIMITER ',')"""
        )
    return {"file": target.name, "rows": rows, "mb": round(target.stat().st_size / MB, 1)}


def agreement(warehouse: Path, pandas_json: Path) -> dict[str, Any]:
    """Do the pandas figures equal the pipeline's (segment ``all``) and its reconciliation?"""
    import duckdb

    ref = json.loads(pandas_json.read_text())
    mismatches = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT funder_id, metric_id, value, n FROM marts.impact_metrics WHERE segment = 'all'"
        ).fetchall()
        counts = con.execute(
            "SELECT feed, rows_read, rows_quarantined, rows_core, rows_superseded"
            " FROM meta.feed_counts"
        ).fetchall()
    compared = 0
    for funder, metric, value, n in rows:
        mine = ref["metrics"].get(funder, {}).get(metric)
        if mine is None:
            continue
        compared += 1
        a, b = mine["value"], value
        same = (a is None) == (b is None) and (a is None or math.isclose(a, b, rel_tol=1e-9))
        if not same or mine["n"] != n:
            mismatches.append(
                {"funder": funder, "metric": metric, "pipeline": [b, n], "pandas": [a, mine["n"]]}
            )
    for feed, *pipeline in counts:
        c = ref["counts"][feed]
        if [c["read"], c["quarantined"], c["core"], c["superseded"]] != pipeline:
            mismatches.append({"feed": feed, "pipeline": pipeline, "pandas": c})
    return {"metric_values": compared, "feeds": len(counts), "mismatches": mismatches}


def pct(part: float | None, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if part is not None and whole else ""


def num(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{x:,.{digits}f}"


def markdown(r: dict[str, Any]) -> str:
    m, pipe, inb = r["machine"], r["pipeline"], r["inbox"]
    total = pipe["wall_s"]
    rows = ", ".join(f"{v:,} {k}" for k, v in inb["rows"].items())
    lines = [
        f"# Pipeline benchmark: {r['participants']:,} participants (seed {r['seed']})",
        "",
        f"{r['started']}. {m['cpu']}, {m['usable_cores']} of {m['cores']} cores, "
        f"{m['ram_gib']} GiB RAM, Linux {m['kernel']}; Python {m['python']}, DuckDB "
        f"{m['duckdb']}, Polars {m['polars']}, pandas {m['pandas']}, pyarrow {m['pyarrow']}, "
        f"Dagster {m['dagster']}.",
        f"Load average before / after: {r['load'][0]:.1f} / {r['load'][1]:.1f}"
        + (
            " (other processes competed for the CPU: trust CPU s more than wall s)."
            if max(r["load"]) > m["usable_cores"] * 0.75
            else "."
        ),
        "",
        f"Inbox: {rows} ({inb['files']} files, {inb['mb']:,} MB, BT_AS_OF {AS_OF}); "
        f"warehouse after the run: {r['warehouse_mb']} MB.",
        "",
        "| step | wall s | % of pipeline | CPU s | peak RSS MB |",
        "|---|---:|---:|---:|---:|",
        f"| **pipeline total** | **{num(total)}** | 100% | {num(pipe['cpu_s'])} | {num(pipe['peak_rss_mb'], 0)} |",
        f"| startup (imports, definitions) | {num(r['startup_s'])} | {pct(r['startup_s'], total)} | | |",
    ]
    for s in r["steps"]:
        label = s["name"] if s["kind"] == "asset" else f"· {s['kind']}"
        flag = "" if s["status"] == "success" else f" **{s['status']}**"
        lines.append(
            f"| {label}{flag} | {num(s['wall_s'], 2)} | {pct(s['wall_s'], total)} | "
            f"{num(s['cpu_s'])} | {num(s['peak_rss_mb'], 0)} |"
        )
    lines.append(
        f"| other (between steps, shutdown) | {num(r['other_s'])} | {pct(r['other_s'], total)} | | |"
    )
    for key, label in (("pandas", "pandas reference"), ("floor", "floor: DuckDB load only")):
        ref = r[key]
        if ref["cmd"][0].startswith("skipped"):
            lines.append(f"| **{label}**: {ref['cmd'][0]} | | | | |")
            continue
        flag = "" if ref["returncode"] == 0 and not ref["timed_out"] else " **failed**"
        lines.append(
            f"| **{label}**{flag} | **{num(ref['wall_s'])}** | {pct(ref['wall_s'], total)} | "
            f"{num(ref['cpu_s'])} | {num(ref['peak_rss_mb'], 0)} |"
        )
    sp = r["speedup"]
    if sp["total_wall"] is None:
        lines.append("")
        lines.append(
            f"raw_inbox / floor: {sp['ingest_vs_floor_wall']}x wall, {sp['ingest_vs_floor_cpu']}x CPU."
        )
    lines += (
        []
        if sp["total_wall"] is None
        else [
            "",
            f"Speed-up of the pipeline vs pandas (pandas time / pipeline time; > 1 = pipeline faster): "
            f"whole run {sp['total_wall']}x wall, {sp['total_cpu']}x CPU; comparable steps "
            f"({', '.join(COMPARABLE)}: {num(sp['comparable_wall_s'])} s) {sp['comparable_wall']}x wall, "
            f"{sp['comparable_cpu']}x CPU. raw_inbox / floor: {sp['ingest_vs_floor_wall']}x wall, {sp['ingest_vs_floor_cpu']}x CPU.",
        ]
    )
    if inc := r.get("incremental"):
        again, daily = inc["pipeline"], inc["daily"]
        flag = "" if again["returncode"] == 0 and not again["timed_out"] else " **failed**"
        lines += [
            "",
            f"Incremental run{flag}: one more daily export ({daily['file']}, {daily['rows']:,} "
            f"feedback rows, {daily['mb']} MB) added to the same inbox, then every asset "
            f"materialised again into the same warehouse: **{num(again['wall_s'])} s** wall, "
            f"{num(again['cpu_s'])} s CPU, {num(again['peak_rss_mb'], 0)} MB peak RSS "
            f"(startup {num(inc['startup_s'])} s).",
            "",
            "| step (incremental run) | wall s | CPU s | peak RSS MB |",
            "|---|---:|---:|---:|",
        ]
        for s in inc["steps"]:
            label = s["name"] if s["kind"] == "asset" else f"· {s['kind']}"
            lines.append(
                f"| {label} | {num(s['wall_s'], 2)} | {num(s['cpu_s'])} | {num(s['peak_rss_mb'], 0)} |"
            )
    if pipe["timed_out"]:
        lines.append(
            f"\n**The pipeline hit the {r['timeout_s']:.0f} s timeout in: {', '.join(pipe['killed_in'])}.**"
        )
    if a := r.get("agreement"):
        verdict = (
            "all equal" if not a["mismatches"] else f"{len(a['mismatches'])} MISMATCHES (see JSON)"
        )
        lines.append(
            f"\nCheck: pandas vs pipeline, {a['metric_values']} segment-`all` values of "
            f"`marts.impact_metrics` and {a['feeds']} feeds of `meta.feed_counts`: {verdict}."
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per subprocess")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bt-bench"), help="inbox cache")
    parser.add_argument("--keep", action="store_true", help="keep warehouse, reports and logs")
    parser.add_argument(
        "--no-pandas",
        action="store_true",
        help="skip the pandas reference (it needs ~13 GB at 1M participants, so ~40 GB at 3M)",
    )
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="after the full run, add one daily feedback export (0.3%% of the rows) and run again",
    )
    args = parser.parse_args(argv)
    n, timeout = args.participants, args.timeout
    args.work.mkdir(parents=True, exist_ok=True)
    folder, funders, inbox_info = inbox(args.work, n, args.seed, timeout)
    run_dir = args.work / f"run-{n}-{args.seed}-{datetime.now():%Y%m%d-%H%M%S}"
    home = run_dir / "dagster_home"
    home.mkdir(parents=True)
    if args.incremental:
        folder = linked_inbox(folder, run_dir / "inbox")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    warehouse = run_dir / "warehouse.duckdb"
    env = {
        "DAGSTER_HOME": str(home),
        "BT_INBOX": str(folder),
        "BT_WAREHOUSE": str(warehouse),
        "BT_REPORTS": str(run_dir / "reports"),
        "BT_FUNDERS": str(funders),
        "BT_AS_OF": AS_OF,
        "GX_ANALYTICS_ENABLED": "false",
    }
    load0, started = os.getloadavg()[0], datetime.now().astimezone()
    dagster = [str(Path(PYTHON).parent / "dagster"), "asset", "materialize"]

    def materialise_all(log: Path) -> tuple[Measured, StepTracker]:
        """Every asset into the run's warehouse, with exact step times from its event log."""
        tracker = StepTracker()
        run = measure(
            [*dagster, "-m", "pipelines.definitions", "--select", "*"], log, timeout, env, tracker
        )
        if run.ok:
            tracker.use_event_log(home)
        return run, tracker

    pipe, tracker = materialise_all(run_dir / "pipeline.log")
    incremental = None
    if args.incremental and pipe.ok:
        daily = daily_export(folder)
        rerun, again = materialise_all(run_dir / "incremental.log")
        incremental = {
            "daily": daily,
            "pipeline": asdict(rerun),
            "startup_s": again.run_start_s,
            "steps": again.rows(),
        }
    pandas_json = run_dir / "pandas.json"
    pandas = (
        Measured(["skipped: --no-pandas"], returncode=None)
        if args.no_pandas
        else measure(
            [*PANDAS, "--inbox", str(folder), "--funders", str(funders), "--out", str(pandas_json)],
            run_dir / "pandas.log",
            timeout,
        )
    )
    floor = measure(
        [
            PYTHON,
            "-m",
            "benchmarks.floor",
            "--inbox",
            str(folder),
            "--db",
            str(run_dir / "floor.duckdb"),
        ],
        run_dir / "floor.log",
        timeout,
    )
    steps = tracker.rows()
    startup = tracker.run_start_s
    comparable = [s for s in steps if s["name"] in COMPARABLE]
    comp_wall = sum(s["wall_s"] or 0 for s in comparable)
    comp_cpu = sum(s["cpu_s"] or 0 for s in comparable)
    ingest = next((s for s in steps if s["name"] == "raw_inbox"), {})

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a and b else None

    result: dict[str, Any] = {
        "participants": n,
        "seed": args.seed,
        "started": started.isoformat(timespec="seconds"),
        "timeout_s": timeout,
        "machine": machine(),
        "load": [load0, os.getloadavg()[0]],
        "inbox": inbox_info,
        "pipeline": asdict(pipe),
        "startup_s": startup,
        "steps": steps,
        "other_s": pipe.wall_s - (startup or 0) - sum(s["wall_s"] or 0 for s in steps),
        "pandas": asdict(pandas),
        "floor": asdict(floor),
        "incremental": incremental,
        "warehouse_mb": round(warehouse.stat().st_size / MB, 1) if warehouse.exists() else None,
        "speedup": {
            "total_wall": ratio(pandas.wall_s, pipe.wall_s),
            "total_cpu": ratio(pandas.cpu_s, pipe.cpu_s),
            "comparable_wall_s": comp_wall,
            "comparable_wall": ratio(pandas.wall_s, comp_wall),
            "comparable_cpu": ratio(pandas.cpu_s, comp_cpu),
            "ingest_vs_floor_wall": ratio(ingest.get("wall_s"), floor.wall_s),
            "ingest_vs_floor_cpu": ratio(ingest.get("cpu_s"), floor.cpu_s),
        },
    }
    if pipe.ok and pandas.ok:
        result["agreement"] = agreement(warehouse, pandas_json)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"run-{n}.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / f"run-{n}.md").write_text(markdown(result))
    print(markdown(result))
    if args.keep:
        print(f"kept {run_dir}")
    else:
        shutil.rmtree(run_dir, ignore_errors=True)
    fine = pipe.ok and (pandas.ok or args.no_pandas) and floor.ok
    return 0 if fine and (incremental is None or incremental["pipeline"]["returncode"] == 0) else 1


if __name__ == "__main__":
    raise SystemExit(main())
