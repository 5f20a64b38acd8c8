"""Monthly outputs and the survival curve the reports chart, with disclosure control."""

from __future__ import annotations

import math

import polars as pl
from transforms_builders import d, feedback, match, matches, meeting, participants, person

from transforms import Funder, Scope, match_outcomes
from transforms.report_series import monthly_outputs, survival_curve
from transforms.stats import Z

FUNDER = Funder("f", "F", ("Leipzig",), d("2026-01-01"), d("2026-03-31"), "en")


def _people(months: dict[str, int]) -> list[dict]:
    rows = []
    for month, count in months.items():
        rows += [person(f"p{month}{i}", registered_at=f"{month}-10T10:00Z") for i in range(count)]
    return rows


def test_monthly_counts_with_primary_and_secondary_suppression() -> None:
    # Jan 7, Feb 3 (primary: 0 < 3 < 5), Mar 6 -> exactly one month hidden, so the smallest
    # other non-zero month (Mar, 6 < 7) is hidden too. One Leipzig registration on
    # 2025-12-31T23:30Z is 2026-01-01 in Berlin and counts in January (7 + 1 = 8).
    people = _people({"2026-01": 7, "2026-02": 3, "2026-03": 6})
    people.append(person("edge", registered_at="2025-12-31T23:30Z"))
    people.append(person("dd", city="Dresden", registered_at="2026-01-05T10:00Z"))
    scope = Scope.of([FUNDER], d("2026-06-30"))
    got = monthly_outputs(participants(*people), matches(), scope).collect()
    assert got["month"].to_list() == [d("2026-01-01"), d("2026-02-01"), d("2026-03-01")]
    assert got["registrations"].to_list() == [8, None, None]
    assert got["matches"].to_list() == [0, 0, 0]


def test_monthly_months_stop_at_as_of_and_zero_months_stay_zero() -> None:
    people = _people({"2026-01": 5})
    scope = Scope.of([FUNDER], d("2026-02-15"))  # end = 2026-02-15: January and February
    got = monthly_outputs(participants(*people), matches(), scope).collect()
    assert got.select("month", "registrations").rows() == [
        (d("2026-01-01"), 5),
        (d("2026-02-01"), 0),
    ]


def test_survival_curve_steps_and_greenwood_band() -> None:
    # Six matches made 2026-01-05 (d0), as_of 2026-09-30. Meetings set `last`:
    # m0: last = d0 + 10, ended_at set -> event at 10
    # m1: last = d0 + 10, ended_at set -> event at 10
    # m2: last = d0 + 30, silent > 60 days -> event at 30
    # m3..m5: meeting on 2026-09-01 (silence 29 days) -> censored at as_of - d0 = 268
    # S(10) = 1 - 2/6 = 2/3;  S(30) = 2/3 * (1 - 1/4) = 1/2
    # Greenwood: sum d/(n(n-d)) = 2/(6*4) + 1/(4*3) = 1/12 + 1/12 = 1/6
    people = [person(f"n{i}") for i in range(6)] + [
        person(f"l{i}", group="local") for i in range(6)
    ]
    ms = [
        match(
            f"m{i}",
            f"n{i}",
            f"l{i}",
            "2026-01-05T10:00Z",
            ended_at="2026-01-20T10:00Z" if i < 2 else None,
        )
        for i in range(6)
    ]
    fb = [
        meeting("n0", "m0", "2026-01-15"),
        meeting("n1", "m1", "2026-01-15"),
        meeting("n2", "m2", "2026-02-04"),
    ] + [meeting(f"n{i}", f"m{i}", "2026-09-01") for i in (3, 4, 5)]
    funder = Funder("f", "F", ("Leipzig",), d("2026-01-01"), d("2026-12-31"), "en")
    scope = Scope.of([funder], d("2026-09-30"))
    outcomes = match_outcomes(matches(*ms), feedback(*fb), scope.as_of)
    curve = survival_curve(outcomes, participants(*people), scope).collect()
    assert curve["day"].to_list() == [0, 10, 30]
    assert [round(s, 12) for s in curve["survival"]] == [1.0, round(2 / 3, 12), 0.5]
    half = Z * math.sqrt(0.5**2 * (1 / 6))
    assert math.isclose(curve["ci_low"][2], 0.5 - half) and math.isclose(
        curve["ci_high"][2], 0.5 + half
    )


def test_survival_curve_needs_five_matches() -> None:
    people = [person("n0"), person("l0", group="local")]
    ms = [match("m0", "n0", "l0", "2026-01-05T10:00Z", ended_at="2026-01-20T10:00Z")]
    scope = Scope.of([FUNDER], d("2026-09-30"))
    outcomes = match_outcomes(matches(*ms), feedback(), scope.as_of)
    assert survival_curve(outcomes, participants(*people), scope).collect().is_empty()
    assert isinstance(outcomes, pl.LazyFrame)
