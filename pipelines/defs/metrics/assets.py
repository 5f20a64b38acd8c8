"""Metric assets: ``marts.match_outcomes`` and ``marts.impact_metrics`` (METRICS.md).

The assets read the core tables once into Polars, call the pure transforms, collect once,
and write each mart in one transaction. Metadata holds counts only.
"""

import time
from collections.abc import Sequence

import dagster as dg
import duckdb
import polars as pl

from matching_core import score_pairs
from pipelines.defs.ingest.assets import (
    core_feedback,
    core_matches,
    core_participants,
    core_surveys,
)
from pipelines.defs.matching.assets import match_proposals
from pipelines.defs.metadata import table_metadata
from pipelines.funders import load_funders
from pipelines.resources import Settings, Warehouse, transaction
from transforms import Funder
from transforms import impact_metrics as compute_impact_metrics
from transforms import match_outcomes as compute_match_outcomes

OWNERS = ["team:impact"]


def read_table(con: duckdb.DuckDBPyConnection, table: str) -> pl.DataFrame:
    """A warehouse table as a Polars frame (Arrow, no copy through pandas), in a fixed order.

    Sums and products of floats depend on the order of their terms in the last bit; reading
    in key order makes the same warehouse give byte-identical metrics on every run.
    """
    # The first two columns are the key of every table read here (an id, or id + wave).
    keys = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema || '.' || "
        "table_name = ? ORDER BY ordinal_position LIMIT 2",
        [table],
    ).fetchall()
    order = ", ".join(f'"{k}"' for (k,) in keys)
    return con.sql(f"SELECT * FROM {table} ORDER BY {order}").pl()


def write_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Replace ``table`` with ``frame`` in one transaction."""
    with transaction(con):
        con.register("_bt_frame", frame.to_arrow())
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _bt_frame")
        con.unregister("_bt_frame")


def match_scores(participants: pl.DataFrame, matches: pl.DataFrame) -> pl.DataFrame:
    """The MATCHING.md score of every existing match on the current profiles (default weights)."""
    if matches.is_empty():
        return pl.DataFrame(schema={"match_id": pl.String, "score": pl.Float64})
    known = matches.filter(
        pl.col("newcomer_id").is_in(participants["participant_id"].implode())
        & pl.col("local_id").is_in(participants["participant_id"].implode())
    )
    return score_pairs(known.select("match_id", "newcomer_id", "local_id"), participants).select(
        "match_id", "score"
    )


def _summary_table(metrics: pl.DataFrame, metric_ids: list[str]) -> str:
    """Per-funder headline figures as Markdown (segment `all`; suppressed cells hidden)."""
    head = metrics.filter(pl.col("segment") == "all", pl.col("metric_id").is_in(metric_ids))
    funders = head["funder_id"].unique(maintain_order=True).to_list()
    lines = ["| funder | " + " | ".join(metric_ids) + " |", "|---" * (len(metric_ids) + 1) + "|"]
    for funder in funders:
        cells = []
        for metric_id in metric_ids:
            row = head.filter(pl.col("funder_id") == funder, pl.col("metric_id") == metric_id)
            if row.is_empty() or row["value"][0] is None:
                cells.append("–")
            elif row["suppressed"][0]:
                cells.append("< 5")
            else:
                value = row["value"][0]
                cells.append(f"{value:.3g}" if abs(value) < 1 else f"{value:,.0f}")
        lines.append(f"| {funder} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dg.asset(
    deps=[core_matches, core_feedback],
    group_name="metrics",
    kinds={"duckdb", "polars"},
    owners=OWNERS,
)
def match_outcomes(settings: Settings, warehouse: Warehouse) -> dg.MaterializeResult:
    """Per match: first meeting, meetings in 90 days, sustained, maturity, ended or censored, duration."""
    as_of = settings.as_of_date()
    with warehouse.connect() as con:
        # Only the distinct dates of attended tandem meetings count for outcomes
        # (transforms.attended_meetings): filter, project and de-duplicate in SQL. Not
        # sorted: the outcomes aggregate per match (min, max, distinct count, any), so the
        # order of these rows changes no value (0.7 s at 1M; readers of the mart sort).
        # De-duplicated on the two columns that vary; the filter fixes the other two
        # (0.3 s less than a DISTINCT over all four at 1M).
        meetings = con.sql(
            """SELECT match_id, 'tandem_meeting' AS event_kind, event_date, true AS attended
            FROM (SELECT DISTINCT match_id, event_date FROM core.feedback
                  WHERE event_kind = 'tandem_meeting' AND attended)"""
        ).pl()
        outcomes = compute_match_outcomes(
            read_table(con, "core.matches").lazy(), meetings.lazy(), as_of
        ).collect()
        write_table(con, "marts.match_outcomes", outcomes)
        schema = table_metadata(con, "marts.match_outcomes")
    return dg.MaterializeResult(
        metadata={
            **schema,
            "sustained": int(outcomes["sustained"].sum()),
            "mature_90d": int(outcomes["mature_90d"].sum()),
            "ended": int(outcomes["ended"].sum()),
        }
    )


#: The feedback columns the metrics use (never the free-text comment).
FEEDBACK_COLUMNS = (
    "feedback_id, participant_id, event_kind, match_id, event_id, event_date, attended, "
    "rating, would_meet_again, new_contacts_other_group"
)

HEADLINE = ["registrations", "matches_made", "sustained_rate", "tandem_survival_182d"]


#: The participant columns a metric reads (scope, segments, periods, consent, status); the
#: profile lists are read only for the people whose matches are scored.
METRIC_PARTICIPANT_COLUMNS = (
    'participant_id, registered_at, "group", city, gender, birth_year, consent_research, status'
)

_SCOPED_PEOPLE = "SELECT participant_id FROM core.participants WHERE list_contains($cities, city)"
#: A match is in a funder's scope when its newcomer is: a match takes its newcomer's city.
_SCOPED_MATCH = f"newcomer_id IN ({_SCOPED_PEOPLE})"


def scoped_feedback(con: duckdb.DuckDBPyConnection, funders: Sequence[Funder]) -> pl.DataFrame:
    """The ``core.feedback`` rows some funder's metrics can use, unsorted.

    A feedback row enters a metric through its writer's city (ratings, answers, group
    events) or through its match's city, the newcomer's (meetings, match outcomes), and
    only when that city is one of a funder's cities. Every other row is left in the
    warehouse: at national scale most of the feedback is outside every funder's scope,
    and this filter runs in DuckDB before anything is loaded. It is exact, not a sample:
    ``tests/e2e/test_pipeline.py`` checks the metrics equal those of the whole tables.
    Not sorted (0.5 s for 1.8 M rows at 1M): no metric depends on row order, which
    ``tests/transforms/test_oracle.py`` checks by shuffling every input.
    """
    return con.sql(
        f"""SELECT {FEEDBACK_COLUMNS} FROM core.feedback
            WHERE participant_id IN ({_SCOPED_PEOPLE})
               OR match_id IN (
                    SELECT match_id FROM core.matches WHERE {_SCOPED_MATCH})""",
        params={"cities": _cities(funders)},
    ).pl()


def scoped_participants(con: duckdb.DuckDBPyConnection, funders: Sequence[Funder]) -> pl.DataFrame:
    """The ``core.participants`` rows some funder's metrics can use, in ``participant_id`` order.

    A participant enters a metric through their own city (registrations, waiting people,
    survey answers, feedback writers, a match's newcomer) or as the local of a match whose
    newcomer lives in a funder's city (participants matched, counted with their own
    attributes wherever they live). Everyone else only joins rows that are out of every
    funder's scope. Only the columns the metrics read (no profile lists) are loaded.
    """
    return con.sql(
        f"""SELECT {METRIC_PARTICIPANT_COLUMNS} FROM core.participants
            WHERE list_contains($cities, city)
               OR participant_id IN (
                    SELECT local_id FROM core.matches WHERE {_SCOPED_MATCH})
            ORDER BY participant_id""",
        params={"cities": _cities(funders)},
    ).pl()


def scoped_surveys(con: duckdb.DuckDBPyConnection, funders: Sequence[Funder]) -> pl.DataFrame:
    """The ``core.surveys`` rows of people whose own city is a funder's, unsorted.

    Survey metrics take a respondent's own city (METRICS.md), so no other answer can enter
    a funder's figures: at 1M that is 0.11 of 1.34 M rows (loaded in 0.09 s, not 0.37 s).
    """
    return con.sql(
        f"SELECT * FROM core.surveys WHERE participant_id IN ({_SCOPED_PEOPLE})",
        params={"cities": _cities(funders)},
    ).pl()


def scoped_matches(
    con: duckdb.DuckDBPyConnection,
    funders: Sequence[Funder],
    table: str = "core.matches",
    columns: str = "*",
) -> pl.DataFrame:
    """The rows of ``table`` (a table of matches) whose newcomer lives in a funder's city.

    Only those matches are in some funder's scope: a match takes its newcomer's city.
    Sorted by ``match_id``.
    """
    return con.sql(
        f"""SELECT {columns} FROM {table}
            WHERE {_SCOPED_MATCH} ORDER BY match_id""",
        params={"cities": _cities(funders)},
    ).pl()


def scoped_match_scores(con: duckdb.DuckDBPyConnection, funders: Sequence[Funder]) -> pl.DataFrame:
    """:func:`match_scores` of the matches whose newcomer lives in a funder's city.

    Only those matches are in some funder's scope (see :func:`scoped_matches`), so only
    their two people's profiles are loaded.
    """
    matches = scoped_matches(con, funders, columns="match_id, newcomer_id, local_id")
    con.register("_bt_scored", matches.to_arrow())
    try:
        profiles = con.sql(
            """SELECT * FROM core.participants WHERE participant_id IN (
                SELECT newcomer_id FROM _bt_scored UNION SELECT local_id FROM _bt_scored)
            ORDER BY participant_id"""
        ).pl()
    finally:
        con.unregister("_bt_scored")
    return match_scores(profiles, matches)


def _cities(funders: Sequence[Funder]) -> list[str]:
    return sorted({c for f in funders for c in f.cities})


def metric_inputs(
    con: duckdb.DuckDBPyConnection, funders: Sequence[Funder]
) -> dict[str, pl.DataFrame]:
    """What :func:`transforms.impact_metrics` needs for ``funders``, and no more.

    Participants, feedback, surveys and match scores are cut to the funders' cities in
    DuckDB (see :func:`scoped_participants`, :func:`scoped_feedback`, :func:`scoped_surveys`);
    participants are read without their profile lists. Keys are the transform's parameter
    names.
    """
    return {
        "participants": scoped_participants(con, funders),
        "matches": read_table(con, "core.matches"),
        "feedback": scoped_feedback(con, funders),
        "surveys": scoped_surveys(con, funders),
        "proposals": read_table(con, "marts.match_proposals"),
        "match_scores": scoped_match_scores(con, funders),
    }


@dg.asset(
    deps=[core_participants, core_matches, core_feedback, core_surveys, match_proposals],
    group_name="metrics",
    kinds={"duckdb", "polars"},
    owners=OWNERS,
)
def impact_metrics(settings: Settings, warehouse: Warehouse) -> dg.MaterializeResult:
    """Every metric of METRICS.md x every funder x every segment, with CIs and disclosure control."""
    funders = load_funders(settings.funders_path)
    as_of = settings.as_of_date()
    started = time.perf_counter()
    with warehouse.connect() as con:
        inputs = {k: v.lazy() for k, v in metric_inputs(con, funders).items()}
    # Computed with the connection closed, so DuckDB's buffers are freed for Polars.
    metrics = compute_impact_metrics(**inputs, funders=funders, as_of=as_of).collect()
    del inputs
    with warehouse.connect() as con:
        write_table(con, "marts.impact_metrics", metrics)
        schema = table_metadata(con, "marts.impact_metrics")
    suppressed = metrics.filter(pl.col("suppressed"))
    return dg.MaterializeResult(
        metadata={
            **schema,
            "funders": len(funders),
            "metrics": metrics["metric_id"].n_unique(),
            "suppressed_cells": suppressed.height,
            "suppressed_per_funder": dg.MetadataValue.json(
                dict(suppressed.group_by("funder_id").len().sort("funder_id").iter_rows())
            ),
            "seconds": round(time.perf_counter() - started, 2),
            "headline": dg.MetadataValue.md(_summary_table(metrics, HEADLINE)),
        }
    )
