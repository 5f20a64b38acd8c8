"""Synthetic, plausible report inputs: a German ESF funder, an English foundation, a hostile
funder (markup in names) and a funder whose only city has no data.

Numbers are made up but shaped like the warehouse's: counts with value = n, shares with a
Wilson-like CI, a few cells with 0 < n < 5 (primary suppression) and the secondary
suppression METRICS.md asks for, and one city with n = 0 everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime

import polars as pl

from reports import CheckOutcome, FeedQuality, Funder, MetricInfo, Provenance, ReportInput
from reports.labels import METRIC_LABELS

AS_OF = date(2026, 11, 24)

PARTICIPANT_METRICS = {
    "registrations",
    "participants_matched",
    "match_rate_30d",
    "median_days_to_match",
    *(m for m in METRIC_LABELS if m.startswith(("delta_", "improved_"))),
}
FAMILIES = {
    "group": (("group=newcomer", 0.55), ("group=local", 0.45)),
    "gender": (
        ("gender=female", 0.52),
        ("gender=male", 0.44),
        ("gender=diverse", 0.0),  # filled in with a primary-suppressed n below
        ("gender=unspecified", 0.04),
    ),
    "age": (
        ("age=<25", 0.22),
        ("age=25-39", 0.46),
        ("age=40-59", 0.24),
        ("age=60+", 0.0),  # primary-suppressed
        ("age=unknown", 0.08),
    ),
}
N_ALL = {
    "registrations": 1234,
    "matches_made": 402,
    "participants_matched": 804,
    "match_rate_30d": 1100,
    "median_days_to_match": 398,
    "tandem_meetings": 2711,
    "group_event_visits": 955,
    "first_meeting_rate": 380,
    "sustained_rate": 310,
    "mean_rating": 1870,
    "would_meet_again_share": 1500,
    "cross_group_ties": 640,
    "tandem_survival_182d": 402,
    "proposal_coverage": 215,
    "mean_proposal_score": 950,
    "score_auc_sustained": 310,
}
SHARES = {
    "match_rate_30d": 0.612,
    "first_meeting_rate": 0.834,
    "sustained_rate": 0.574,
    "would_meet_again_share": 0.912,
    "tandem_survival_182d": 0.687,
    "proposal_coverage": 0.874,
    "improved_belonging_share_3m": 0.381,
    "improved_belonging_share_12m": 0.442,
}
MEANS = {  # metric -> (mean, sd)
    "mean_rating": (4.31, 0.8),
    "median_days_to_match": (12.5, 0.0),
    "mean_proposal_score": (0.634, 0.12),
    "score_auc_sustained": (0.712, 0.0),
}
SURVEY_MEANS = {
    "belonging": (0.42, 1.0),
    "trust_people": (0.18, 0.9),
    "outgroup_contact": (0.95, 1.1),
    "outgroup_attitude": (6.8, 18.0),
    "loneliness": (-0.61, 1.4),
    "diversity_acceptance": (0.07, 0.8),
}
NO_CI = {"median_days_to_match", "score_auc_sustained"}
DEFINITION = (
    "Participants with `registered_at` in period; a tandem is **sustained** when it met "
    "3 times within 90 days. Values 0 < n < 5 are suppressed."
)


def _value(metric_id: str, n: int, shift: float) -> tuple[float | None, float | None, float | None]:
    """A plausible value and 95% CI for ``metric_id`` over ``n`` units."""
    kind = METRIC_LABELS[metric_id].kind
    if kind == "count":
        return float(n), None, None
    if n == 0:
        return None, None, None
    if metric_id in SHARES:
        p = min(0.98, max(0.02, SHARES[metric_id] + shift))
        half = 1.96 * math.sqrt(p * (1 - p) / n)
        return p, max(0.0, p - half), min(1.0, p + half)
    if metric_id.startswith("delta_"):
        item = metric_id.removeprefix("delta_").rsplit("_", 1)[0]
        mean, sd = SURVEY_MEANS[item]
        wave_factor = 1.3 if metric_id.endswith("12m") else 1.0
        mean = mean * wave_factor + shift * sd
    else:
        mean, sd = MEANS[metric_id]
        mean += shift * max(sd, 0.5)
    if metric_id in NO_CI or n < 2:
        return mean, None, None
    half = 2.0 * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def _n_all(metric_id: str) -> int:
    if metric_id in N_ALL:
        return N_ALL[metric_id]
    return 186 if metric_id.endswith("3m") else 74  # survey pairs


def _suppress(rows: list[dict], segments: Sequence[str]) -> None:
    """Primary (0 < n < 5) and one-pass secondary suppression over one family's rows."""
    family = [r for r in rows if r["segment"] in segments]
    for r in family:
        r["suppressed"] = 0 < r["n"] < 5
    primary = [r for r in family if r["suppressed"]]
    if len(primary) == 1:
        others = [r for r in family if not r["suppressed"] and r["n"] > 0]
        if others:
            min(others, key=lambda r: r["n"])["suppressed"] = True


def metric_rows(funder_id: str, cities: Sequence[str], empty: bool = False) -> list[dict]:
    """Every metric x segment row of one funder, like ``marts.impact_metrics``."""
    city_shares = [0.6, 0.4] + [0.0] * (len(cities) - 2) if len(cities) > 1 else [1.0]
    rows: list[dict] = []
    for metric_id in METRIC_LABELS:
        n_all = 0 if empty else _n_all(metric_id)
        segments: list[tuple[str, int, float]] = [("all", n_all, 0.0)]
        for i, (city, share) in enumerate(zip(cities, city_shares, strict=True)):
            n = round(n_all * share)
            if metric_id == "mean_rating" and i == 1 and n:
                n = 4  # primary suppression in the city family
            segments.append((f"city={city}", n, 0.03 * (i + 1)))
        metric_rows_: list[dict] = []
        if metric_id in PARTICIPANT_METRICS:
            for family in FAMILIES.values():
                for j, (segment, share) in enumerate(family):
                    n = round(n_all * share)
                    if segment == "gender=diverse" and n_all:
                        n = 3
                    if segment == "age=60+" and n_all:
                        n = 2
                    segments.append((segment, n, 0.02 * (j - 1)))
        for segment, n, shift in segments:
            value, low, high = _value(metric_id, n, shift)
            metric_rows_.append(
                {
                    "funder_id": funder_id,
                    "metric_id": metric_id,
                    "segment": segment,
                    "value": value,
                    "n": n,
                    "ci_low": low,
                    "ci_high": high,
                    "suppressed": False,
                }
            )
        _suppress(metric_rows_, [f"city={c}" for c in cities])
        for family in FAMILIES.values():
            _suppress(metric_rows_, [s for s, _ in family])
        rows += metric_rows_
    return rows


def monthly(start: date, months: int, empty: bool = False) -> pl.DataFrame:
    """Registrations and matches per month; ``None`` = suppressed (fewer than 5)."""
    regs = [210, 198, 187, 250, 301, 275, 240, 222, 260, 231, 144]
    matches = [64, 71, None, 80, 95, 102, 88, 14, 90, 76, None]
    month_starts = [
        date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
        for i in range(months)
    ]
    return pl.DataFrame(
        {
            "month": month_starts,
            "registrations": [0 if empty else regs[i % len(regs)] for i in range(months)],
            "matches": [0 if empty else matches[i % len(matches)] for i in range(months)],
        },
        schema={"month": pl.Date, "registrations": pl.Int64, "matches": pl.Int64},
    )


def survival(empty: bool = False) -> pl.DataFrame:
    """A Kaplan-Meier step curve falling to about 45% at 300 days, with a widening band."""
    days, s, low, high = [], [], [], []
    value = 1.0
    for i, day in enumerate(range(0, 301, 6)):
        if i:
            value *= 0.985 if day < 120 else 0.992
        half = 0.012 + 0.0004 * day
        days.append(day)
        s.append(value)
        low.append(max(0.0, value - half))
        high.append(min(1.0, value + half))
    frame = pl.DataFrame({"day": days, "survival": s, "ci_low": low, "ci_high": high})
    return frame.clear() if empty else frame


def definitions() -> dict[str, MetricInfo]:
    """A definition for every metric, with Markdown and markup-looking text."""
    return {
        m: MetricInfo(level=label.level, definition=f"{DEFINITION} ({m}, <item> & <w>)")
        for m, label in METRIC_LABELS.items()
    }


def make_input(
    *,
    funder_id: str = "esf-zukunftsplattform",
    name: str = "Zukunftsplattform Soziale Innovationen (ESF Plus)",
    cities: Sequence[str] = ("Dresden", "Chemnitz", "Zwickau"),
    language: str = "de",
    period: tuple[date, date] = (date(2026, 1, 1), date(2026, 12, 31)),
    empty: bool = False,
) -> ReportInput:
    """One funder's complete ``ReportInput``."""
    funder = Funder(funder_id, name, tuple(cities), period[0], period[1], language)
    end = min(period[1], AS_OF)
    months = (end.year - period[0].year) * 12 + end.month - period[0].month + 1
    frame = pl.DataFrame(metric_rows(funder_id, cities, empty), schema=dict(ReportInputSchema))
    return ReportInput(
        funder=funder,
        as_of=AS_OF,
        end=end,
        metrics=frame,
        definitions=definitions(),
        monthly=monthly(period[0], months, empty),
        survival=survival(empty),
        data_quality=[
            FeedQuality("registrations", 5120, 5012, 61, 47),
            FeedQuality("matches", 1630, 1598, 12, 20),
            FeedQuality("feedback", 20410, 20187, 203, 20),
            FeedQuality("surveys", 3307, 3290, 17, 0),
            FeedQuality("erasures", 9, 9, 0, 0),
        ],
        checks=[
            CheckOutcome("core_participants:reconciliation", True, "5120 = 5012 + 61 + 47"),
            CheckOutcome("core_participants:great_expectations", True, "23 expectations met"),
            CheckOutcome("erasure_ledger:erasure_complete", True, "no erased person left"),
        ],
        provenance=Provenance(
            run_id="8f2c1e7a-55d4-4c3b-9a41-0d2e6f7b9c10",
            as_of=AS_OF,
            files=(
                ("registrations_2026-11.csv", "3f" * 32),
                ("matches_2026-11.parquet", "a7" * 32),
                ("feedback_2026-11.jsonl", "0c" * 32),
                ("surveys_2026-11.csv", "e9" * 32),
            ),
            code_version="0.1.0+g1a2b3c4",
            generated_at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
        ),
    )


ReportInputSchema = {
    "funder_id": pl.String,
    "metric_id": pl.String,
    "segment": pl.String,
    "value": pl.Float64,
    "n": pl.Int64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "suppressed": pl.Boolean,
}


def german() -> ReportInput:
    return make_input()


def english() -> ReportInput:
    return make_input(
        funder_id="stiftung-miteinander",
        name="Miteinander Foundation",
        cities=("Leipzig", "Halle (Saale)"),
        language="en",
        period=(date(2026, 3, 1), date(2026, 8, 31)),
    )


def hostile() -> ReportInput:
    return make_input(
        funder_id="hostile",
        name='Stiftung <b>Fett</b> & "Co"',
        cities=("<script>alert(1)</script>", "Leipzig"),
    )


def no_data() -> ReportInput:
    return make_input(
        funder_id="stadt-goerlitz",
        name="Stadt Görlitz",
        cities=("Görlitz",),
        period=(date(2026, 1, 1), date(2026, 6, 30)),
        empty=True,
    )
