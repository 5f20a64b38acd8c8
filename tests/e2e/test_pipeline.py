"""The whole pipeline on the generator's sample inbox, checked by its invariants."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.sample_data import generate

pytestmark = pytest.mark.e2e

AS_OF = "2026-11-25"
NO_DATA_FUNDER = """
[[funder]]
id = "atlantis-fund"
name = "Atlantis Fund"
cities = ["Atlantis"]
period_start = 2026-01-01
period_end = 2026-06-30
language = "en"
"""
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
    with funders.open("a", encoding="utf-8") as fh:  # a funder whose city has no data at all
        fh.write(NO_DATA_FUNDER)
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
        raw = con.sql("SELECT participant_id, postcode, district FROM raw.registrations").pl()
        comments = con.sql("SELECT comment FROM raw.feedback WHERE length(comment) >= 8").pl()
    return {
        "result": result,
        "metrics": metrics,
        "proposals": proposals,
        "outcomes": outcomes,
        "participants": participants,
        "raw": raw,
        "comments": comments,
        "reports": reports,
        "funders": funders,
        "inbox": inbox,
        "warehouse": warehouse,
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


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def _squash(text: str) -> str:
    """Text without any white space: kerning can make extraction split words ("T andems")."""
    return "".join(text.split())


def _cell(metrics: pl.DataFrame, funder: str, metric: str, segment: str = "all") -> dict:
    return metrics.filter(
        pl.col("funder_id") == funder, pl.col("metric_id") == metric, pl.col("segment") == segment
    ).row(0, named=True)


def test_every_funder_gets_pdf_html_and_csv_with_its_key_figures(pipeline: dict) -> None:
    from babel.numbers import format_decimal

    from pipelines.funders import load_funders

    metrics = pipeline["metrics"]
    for funder in load_funders(pipeline["funders"]):
        folder = pipeline["reports"] / funder.id
        pdf, html, csv_path = folder / "report.pdf", folder / "report.html", folder / "metrics.csv"
        assert pdf.stat().st_size > 1000 and html.exists() and csv_path.exists()
        text = _squash(_pdf_text(pdf))
        assert _squash(funder.name) in text
        if funder.id == "atlantis-fund":
            continue
        locale = "de_DE" if funder.language == "de" else "en_GB"
        for metric in ("registrations", "matches_made", "tandem_meetings"):
            cell = _cell(metrics, funder.id, metric)
            assert not cell["suppressed"]
            assert _squash(format_decimal(int(cell["value"]), locale=locale)) in text, (
                funder.id,
                metric,
            )
        rating = _cell(metrics, funder.id, "mean_rating")
        expected = format_decimal(round(rating["value"], 2), format="0.00", locale=locale)
        assert _squash(expected) in text, (funder.id, expected)
        if funder.language == "de":
            assert "," in expected  # a German decimal comma


def test_metrics_csv_equals_the_warehouse_rows(pipeline: dict) -> None:
    metrics = pipeline["metrics"]
    funder_folders = [p for p in pipeline["reports"].iterdir() if (p / "report.pdf").exists()]
    assert len(funder_folders) == 5
    for folder in sorted(funder_folders):
        with (folder / "metrics.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        expected = metrics.filter(pl.col("funder_id") == folder.name)
        assert len(rows) == expected.height > 0
        for row, want in zip(rows, expected.iter_rows(named=True), strict=True):
            assert (row["metric_id"], row["segment"]) == (want["metric_id"], want["segment"])
            assert row["suppressed"] == str(want["suppressed"]).lower()
            if want["suppressed"]:
                assert row["value"] == row["n"] == row["ci_low"] == row["ci_high"] == ""
                continue
            assert int(row["n"]) == want["n"]
            for col in ("value", "ci_low", "ci_high"):
                if want[col] is None:
                    assert row[col] == ""
                else:
                    assert abs(float(row[col]) - want[col]) <= 1e-12 * max(1, abs(want[col]))


def test_html_parses_and_suppressed_cells_say_fewer_than_5(pipeline: dict) -> None:
    from html.parser import HTMLParser

    from pipelines.funders import load_funders

    for funder in load_funders(pipeline["funders"]):
        html = (pipeline["reports"] / funder.id / "report.html").read_text(encoding="utf-8")
        HTMLParser().feed(html)
        assert "<script" not in html.lower()
        suppressed = pipeline["metrics"].filter(
            pl.col("funder_id") == funder.id, pl.col("suppressed")
        )
        if suppressed.height:
            assert ("weniger als 5" if funder.language == "de" else "fewer than 5") in html


def test_no_data_funder_gets_a_short_report(pipeline: dict) -> None:
    text = _pdf_text(pipeline["reports"] / "atlantis-fund" / "report.pdf")
    assert "Nodatainthefundedperiod" in _squash(text)
    from pypdf import PdfReader

    # Cover, one sentence, provenance (the file hashes may spill onto a second page).
    assert len(PdfReader(pipeline["reports"] / "atlantis-fund" / "report.pdf").pages) <= 2
    assert "fewer than 5" not in text and "95% CI" not in text


def test_reports_hold_no_personal_data(pipeline: dict) -> None:
    raw, comments = pipeline["raw"], pipeline["comments"]
    ids = set(raw["participant_id"].drop_nulls())
    postcodes = {p.strip() for p in raw["postcode"].drop_nulls() if len(p.strip()) == 5}
    districts = set(raw["district"].drop_nulls())
    texts = []  # (is a funder report, text)
    for path in pipeline["reports"].rglob("*"):
        if path.is_file() and path.parent.name != "proposals":
            report = "data_docs" not in path.parts
            if path.suffix == ".pdf":
                texts.append((report, _pdf_text(path)))
            elif path.suffix in (".html", ".csv", ".json", ".js", ".css", ".svg"):
                texts.append((report, path.read_bytes().decode("utf-8")))
    assert len(texts) >= 15
    postcode_re = re.compile(
        r"(?<![0-9A-Za-z.,])(" + "|".join(sorted(postcodes)) + r")(?![0-9A-Za-z.,])"
    )
    for report, text in texts:
        assert not any(i in text for i in ids)
        assert not postcode_re.search(text)
        assert not any(c in text for c in comments["comment"])
        assert not any(f">{d}<" in text or f" {d} " in text for d in districts)
        if report:  # Data Docs name the columns they check, which is fine
            assert "birth_year" not in text and "postcode" not in text


def test_great_expectations_data_docs_are_rendered_and_linked(pipeline: dict) -> None:
    docs = pipeline["reports"] / "data_docs"
    index = (docs / "index.html").read_text(encoding="utf-8")
    latest = json.loads((docs / "latest.json").read_text(encoding="utf-8"))
    assert sorted(latest) == ["feedback", "matches", "participants", "surveys"]
    for table, folder in latest.items():
        assert f'href="{folder}/index.html"' in index
        assert list((docs / folder / "validations").rglob("*.html"))
        assert [p.name for p in docs.glob(f"{table}-*")] == [folder]  # older builds removed
    links = [
        e.metadata["data_docs"].value
        for e in pipeline["result"].get_asset_check_evaluations()
        if e.check_name == "great_expectations"
    ]
    assert len(links) == 4 and all(Path(link).is_file() for link in links)


def test_assets_show_schema_row_count_and_previews(pipeline: dict) -> None:
    events = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in pipeline["result"].get_asset_materialization_events()
    }
    for asset in ("raw_feedback", "core_participants", "match_proposals", "impact_metrics"):
        schema = events[asset]["dagster/column_schema"].value
        assert schema.columns and events[asset]["dagster/row_count"].value >= 0
    assert "| funder |" in events["impact_metrics"]["headline"].value
    assert events["funder_reports"]["reports"].value == 5


def test_metrics_from_the_scoped_inputs_equal_metrics_from_the_whole_tables(
    pipeline: dict, tmp_path: Path
) -> None:
    """impact_metrics and the reports' series load only what some funder can use; the
    figures must not move.

    On a copy of the warehouse, some Leipzig locals move to Dresden and a few Dresden
    newcomers to Leipzig, so feedback rows and matches whose two people lie in different
    cities exist; a Leipzig-only funder must get the same figures either way.
    """
    import datetime as dt
    import shutil

    from pipelines.defs.metrics.assets import FEEDBACK_COLUMNS, match_scores, metric_inputs
    from pipelines.defs.reports.assets import series_inputs
    from pipelines.funders import load_funders
    from transforms import Scope, impact_metrics
    from transforms.report_series import monthly_outputs, survival_curve

    copy = tmp_path / "wh.duckdb"
    shutil.copy(pipeline["warehouse"], copy)
    leipzig = [f for f in load_funders(pipeline["funders"]) if f.cities == ("Leipzig",)]
    assert leipzig
    with duckdb.connect(str(copy)) as con:
        con.execute(
            """UPDATE core.participants SET city = 'Dresden'
            WHERE city = 'Leipzig' AND "group" = 'local' AND hash(participant_id) % 3 = 0"""
        )
        con.execute(
            """UPDATE core.participants SET city = 'Leipzig'
            WHERE city = 'Dresden' AND "group" = 'newcomer' AND hash(participant_id) % 5 = 0"""
        )
        participants = con.sql("SELECT * FROM core.participants ORDER BY participant_id").pl()
        matches = con.sql("SELECT * FROM core.matches ORDER BY match_id").pl()
        whole = {
            "participants": participants,
            "matches": matches,
            "feedback": con.sql(
                f"SELECT {FEEDBACK_COLUMNS} FROM core.feedback ORDER BY feedback_id"
            ).pl(),
            "surveys": con.sql("SELECT * FROM core.surveys ORDER BY participant_id, wave").pl(),
            "proposals": con.sql("SELECT * FROM marts.match_proposals ORDER BY ALL").pl(),
            "match_scores": match_scores(participants, matches),
        }
        scoped = metric_inputs(con, leipzig)
        series = series_inputs(con, leipzig)
        outcomes = con.sql("SELECT * FROM marts.match_outcomes ORDER BY match_id").pl()
        crossing = con.execute(
            """SELECT count(*) FROM core.feedback f
            JOIN core.participants w USING (participant_id)
            JOIN core.matches m USING (match_id)
            JOIN core.participants n ON n.participant_id = m.newcomer_id
            WHERE (w.city = 'Leipzig') <> (n.city = 'Leipzig')"""
        ).fetchone()[0]
    assert crossing > 0, "the copy must hold feedback whose writer and match differ in scope"
    assert 0 < scoped["participants"].height < whole["participants"].height
    assert 0 < scoped["feedback"].height < whole["feedback"].height
    assert 0 < scoped["match_scores"].height < whole["match_scores"].height
    assert 0 < scoped["surveys"].height < whole["surveys"].height

    def figures(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
        return impact_metrics(
            **{k: v.lazy() for k, v in tables.items()},
            funders=leipzig,
            as_of=dt.date.fromisoformat(AS_OF),
        ).collect()

    assert figures(scoped).equals(figures(whole))

    # The reports' monthly series and survival curves, likewise.
    assert 0 < series["outcomes"].height < outcomes.height
    scope = Scope.of(leipzig, dt.date.fromisoformat(AS_OF))
    people = series["participants"].lazy()
    assert (
        monthly_outputs(people, series["matches"].lazy(), scope)
        .collect()
        .equals(monthly_outputs(participants.lazy(), matches.lazy(), scope).collect())
    )
    curve = survival_curve(series["outcomes"].lazy(), people, scope).collect()
    assert curve.height > 1
    assert curve.equals(survival_curve(outcomes.lazy(), participants.lazy(), scope).collect())
