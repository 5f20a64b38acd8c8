"""The analyst's path in a real browser: `dagster dev` on loopback, Debian's Chromium via Playwright.

The test starts the UI against a temporary inbox and warehouse, opens the asset graph,
launches "Materialize all", waits for the run to succeed, reads the funder report
asset's metadata, switches the inbox sensor on and watches one real tick launch a run for
a newly dropped export file. Screenshots go to tests/artifacts/ui/. The server is
stopped by its own process group id.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.sample_data import generate

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "ui"
BIN = Path(sys.executable).parent

if not Path(CHROMIUM).exists():  # pragma: no cover - CI installs it (.ci/run -> make test)
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses listening on ``port`` (from /proc/net/tcp, state 0A = LISTEN)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            octets = [str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)]
            found.add(".".join(octets))
    return found


def _graphql(base: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"{base}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


RUNS = """query Runs($filter: RunsFilter) {
  runsOrError(filter: $filter) { ... on Runs { results { runId status tags { key value } } } }
}"""


def _runs(base: str, tags: list[dict] | None = None) -> list[dict]:
    flt = {"tags": tags} if tags else {}
    return _graphql(base, RUNS, {"filter": flt})["runsOrError"]["results"]


def _wait(predicate, timeout: float, what: str, step: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def ui(tmp_path_factory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("ui")
    inbox, funders = tmp / "inbox", tmp / "funders.toml"
    generate(inbox, participants=300, seed=3, funders_path=funders)
    home = tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "BT_INBOX": str(inbox),
        "BT_WAREHOUSE": str(tmp / "wh.duckdb"),
        "BT_REPORTS": str(tmp / "reports"),
        "BT_FUNDERS": str(funders),
        "BT_AS_OF": "2026-11-25",
        "GX_ANALYTICS_ENABLED": "false",
    }
    port = _free_port()
    log = (tmp / "dagster_dev.log").open("w")
    # No -h: the UI must bind to loopback by default.
    proc = subprocess.Popen(
        [str(BIN / "dagster"), "dev", "-p", str(port), "-m", "pipelines.definitions"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            with urllib.request.urlopen(f"{base}/server_info", timeout=5) as r:
                return r.status == 200
        except OSError:
            return proc.poll() is not None and pytest.fail("dagster dev exited")

    try:
        _wait(up, 180, "dagster dev to answer")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        yield {"base": base, "port": port, "env": env, "inbox": inbox, "tmp": tmp}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()
        shutil.copy(tmp / "dagster_dev.log", ARTIFACTS / "dagster_dev.log")


@pytest.fixture(scope="module")
def browser(ui: dict):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = chromium.new_page(viewport={"width": 1400, "height": 900})
        yield page
        chromium.close()


def _dismiss_dialogs(page) -> None:
    for name in ("Skip", "Dismiss"):
        button = page.get_by_role("button", name=name)
        if button.count():
            button.first.click()


def test_ui_listens_on_loopback_only(ui: dict) -> None:
    assert _listening_addresses(ui["port"]) == {"127.0.0.1"}


def test_materialize_all_from_the_asset_graph(ui: dict, browser) -> None:
    page = browser
    page.goto(f"{ui['base']}/asset-groups", wait_until="networkidle")
    page.get_by_role("button", name="Materialize all").first.wait_for(timeout=60_000)
    time.sleep(2)  # asset nodes render "Loading..." first
    _dismiss_dialogs(page)
    for group in ("ingest", "core", "matching", "metrics", "reports"):
        assert page.get_by_text(group, exact=True).count() > 0, group
    page.screenshot(path=str(ARTIFACTS / "01_asset_graph.png"))

    page.get_by_role("button", name="Materialize all").first.click()
    page.get_by_text("Launched run").first.wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "02_launched.png"))
    run = _wait(lambda: _runs(ui["base"]), 60, "the run to appear")[0]
    status = _wait(
        lambda: next(
            (
                r["status"]
                for r in _runs(ui["base"])
                if r["runId"] == run["runId"] and r["status"] in ("SUCCESS", "FAILURE", "CANCELED")
            ),
            None,
        ),
        420,
        "the run to finish",
        step=3,
    )
    page.goto(f"{ui['base']}/runs/{run['runId']}", wait_until="networkidle")
    time.sleep(2)
    page.screenshot(path=str(ARTIFACTS / "03_run.png"))
    assert status == "SUCCESS"


def test_funder_report_asset_shows_its_metadata(ui: dict, browser) -> None:
    page = browser
    page.goto(f"{ui['base']}/assets/funder_reports", wait_until="networkidle")
    page.get_by_text("Metadata").first.wait_for(timeout=60_000)
    page.get_by_text("esf-zukunftsplattform/pdf").first.wait_for(timeout=60_000)
    text = page.locator("body").inner_text()
    page.screenshot(path=str(ARTIFACTS / "04_funder_reports.png"), full_page=True)
    assert "stadt-leipzig/pages" in text
    assert str(Path(ui["env"]["BT_REPORTS"]) / "esf-zukunftsplattform" / "report.pdf") in text


def test_inbox_sensor_ticks_and_launches_a_run_for_a_new_file(ui: dict, browser) -> None:
    env = ui["env"]
    sensor_tag = [{"key": "dagster/sensor_name", "value": "inbox_sensor"}]
    subprocess.run(
        [str(BIN / "dagster"), "sensor", "start", "inbox_sensor", "-m", "pipelines.definitions"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    # First tick: the sensor has no cursor yet, so the current inbox is new to it.
    first = _wait(lambda: _runs(ui["base"], sensor_tag), 240, "the first sensor run", step=3)
    _wait(
        lambda: all(r["status"] in ("SUCCESS", "FAILURE") for r in _runs(ui["base"], sensor_tag)),
        420,
        "the first sensor run to finish",
        step=3,
    )
    # A new daily export file: the next tick must launch another run.
    source = next(ui["inbox"].glob("feedback_*.csv"))
    shutil.copy(source, ui["inbox"] / "feedback_2026-11-26.csv")
    runs = _wait(
        lambda: (r := _runs(ui["base"], sensor_tag)) and len(r) > len(first) and r,
        240,
        "a sensor run for the new file",
        step=3,
    )
    page = browser
    page.goto(f"{ui['base']}/automation", wait_until="networkidle")
    time.sleep(2)
    page.screenshot(path=str(ARTIFACTS / "05_automation.png"))
    assert len(runs) >= 2
    assert all(r["tags"] for r in runs)
