"""The whole pipeline on the generator's sample inbox, checked by its invariants."""

from __future__ import annotations

import csv
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.sample_data import generate

pytestmark = pytest.mark.e2e

AS_OF = "2026-11-25"
FAMILIES = ("city=", "group=", "gender=", "age=")
COUNT_METRICS = ("registrations", "participants_matched")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> dict:
    from pipelines.definitions import ALL_ASSETS
    from pipelines.defs.ingest.checks import INGEST_CHECKS
    from pipelines.resources import Settings, Warehouse

    tmp = tmp_path_factory.mktemp("pipeline")
    inbox, funders = tmp / "inbox", tmp / "funders.toml"
    generate(inbox, participants=1500, seed=11, funders_path=funders)
    warehouse, reports = tmp / "wh.duckdb", tmp / "reports"
    result = dg.materialize(
        [*ALL_ASSETS, *INGEST_CHECKS],
        resources={
            "settings": Settings(
                inbox=str(inbox), reports=str(reports), funders=str(funders), as_of=AS_OF
            ),
            "warehouse": Warehouse(path=str(warehouse)),
        },
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        metrics = con.sql("SELECT * FROM marts.impact_metrics").pl()
        proposals = con.sql("SELECT * FROM marts.match_proposals").pl()
        outcomes = con.sql("SELECT * FROM marts.match_outcomes").pl()
        participants = con.sql("SELECT * FROM core.participants").pl()
    return {
        "result": result,
        "metrics": metrics,
        "proposals": proposals,
        "outcomes": outcomes,
        "participants": participants,
        "reports": reports,
        "funders": funders,
        "inbox": inbox,
    }


def test_every_check_passes(pipeline: dict) -> None:
    evaluations = pipeline["result"].get_asset_check_evaluations()
    assert len(evaluations) == 10
    assert all(e.passed for e in evaluations)


def test_every_funder_has_every_metric(pipeline: dict) -> None:
    from pipelines.funders import load_funders
    from transforms import METRICS

    metrics = pipeline["metrics"]
    funders = load_funders(pipeline["funders"])
    for funder in funders:
        got = set(metrics.filter(pl.col("funder_id") == funder.id)["metric_id"])
        assert got == set(METRICS), funder.id
        cities = metrics.filter(
            pl.col("funder_id") == funder.id, pl.col("metric_id") == "registrations"
        )["segment"].to_list()
        assert [s for s in cities if s.startswith("city=")] == [f"city={c}" for c in funder.cities]


def test_family_counts_add_up_to_all(pipeline: dict) -> None:
    metrics = pipeline["metrics"].filter(pl.col("metric_id").is_in(COUNT_METRICS))
    for (funder, metric), cells in metrics.group_by("funder_id", "metric_id"):
        total = cells.filter(pl.col("segment") == "all")["n"][0]
        for family in FAMILIES[1:]:  # every participant has a group, gender and age band
            part = cells.filter(pl.col("segment").str.starts_with(family))["n"].sum()
            assert part == total, (funder, metric, family)
        # Cities: registrations are per own city, so they add up too.
        if metric == "registrations":
            part = cells.filter(pl.col("segment").str.starts_with("city="))["n"].sum()
            assert part == total, (funder, metric)


def test_shares_are_in_unit_interval_and_cis_bracket_values(pipeline: dict) -> None:
    shares = pipeline["metrics"].filter(
        pl.col("metric_id").str.ends_with("_rate")
        | pl.col("metric_id").str.ends_with("_share")
        | pl.col("metric_id").str.contains("share_")
        | pl.col("metric_id").is_in(["match_rate_30d", "proposal_coverage", "tandem_survival_182d"])
    )
    assert shares.height > 0
    values = shares.drop_nulls("value")
    assert values["value"].is_between(0, 1).all()
    with_ci = pipeline["metrics"].drop_nulls("ci_low")
    assert (with_ci["ci_low"] <= with_ci["value"] + 1e-12).all()
    assert (with_ci["value"] <= with_ci["ci_high"] + 1e-12).all()


def test_suppression_marks_small_cells(pipeline: dict) -> None:
    metrics = pipeline["metrics"]
    small = metrics.filter((pl.col("n") > 0) & (pl.col("n") < 5))
    assert small["suppressed"].all()
    assert not metrics.filter(pl.col("n") == 0)["suppressed"].any()


def test_proposals_are_waiting_people_in_one_city_each_once(pipeline: dict) -> None:
    proposals, people = pipeline["proposals"], pipeline["participants"]
    assert proposals.height > 0
    assert proposals["newcomer_id"].is_unique().all() and proposals["local_id"].is_unique().all()
    groups = dict(people.select("participant_id", "group").iter_rows())
    cities = dict(people.select("participant_id", "city").iter_rows())
    for row in proposals.iter_rows(named=True):
        assert groups[row["newcomer_id"]] == "newcomer" and groups[row["local_id"]] == "local"
        assert cities[row["newcomer_id"]] == cities[row["local_id"]] == row["city"]
        assert row["score"] >= 0.2 - 1e-12
        assert str(row["proposed_at"]) == AS_OF


def test_coordinator_exports_hold_no_birth_year_or_postcode(pipeline: dict) -> None:
    folder: Path = pipeline["reports"] / "proposals"
    files = sorted(folder.glob("*.csv"))
    assert files
    people = pipeline["participants"]
    postcodes = set(people["postcode"].drop_nulls())
    total = 0
    for path in files:
        with path.open(encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        total += len(rows)
        assert "birth_year" not in rows[0] and "postcode" not in rows[0]
        # Eligibility needs a shared language (rule 2); shared interests may be none.
        assert all(r["shared_languages"] for r in rows)
        text = path.read_text(encoding="utf-8-sig")
        assert not any(p in text for p in postcodes)
    assert total == pipeline["proposals"].height


def test_match_outcomes_flags(pipeline: dict) -> None:
    outcomes = pipeline["outcomes"]
    assert outcomes.height > 0
    assert (outcomes["ended"] != outcomes["censored"]).all()
    assert outcomes.filter(pl.col("sustained"))["meetings_90d"].min() >= 3
