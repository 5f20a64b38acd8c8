"""The documented command line: generate a sample inbox, then `dagster asset materialize --select '*'`
with the ``BT_*`` variables pointing at a temporary inbox, warehouse and reports folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("cli")
    inbox, funders = tmp / "inbox", tmp / "funders.toml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.sample_data",
            "--out",
            str(inbox),
            "--funders",
            str(funders),
            "--participants",
            "400",
            "--seed",
            "7",
            "--bad-rows",
        ],
        check=True,
        capture_output=True,
    )
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
    proc = subprocess.run(
        [
            str(BIN / "dagster"),
            "asset",
            "materialize",
            "-m",
            "pipelines.definitions",
            "--select",
            "*",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return {"proc": proc, "tmp": tmp, "warehouse": tmp / "wh.duckdb"}


def test_cli_materialises_everything(cli_run: dict) -> None:
    proc = cli_run["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert "RUN_SUCCESS" in log
    checks = re.findall(r"Asset check '(\w+)' on '(\w+)' (passed|failed)", log)
    assert checks and all(outcome == "passed" for *_, outcome in checks), checks
    assert {(name, asset) for name, asset, _ in checks} >= {
        ("reconciliation", "core_participants"),
        ("great_expectations", "core_feedback"),
        ("erasure_complete", "erasure_ledger"),
    }


def test_cli_fills_raw_core_and_quarantine(cli_run: dict) -> None:
    with duckdb.connect(str(cli_run["warehouse"]), read_only=True) as con:
        for schema, tables in {
            "raw": ["registrations", "matches", "feedback", "surveys", "erasures"],
            "core": ["participants", "matches", "feedback", "surveys"],
            "quarantine": ["registrations", "matches", "feedback", "surveys", "erasures"],
        }.items():
            for table in tables:
                n = con.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]
                assert n > 0, f"{schema}.{table} is empty"
