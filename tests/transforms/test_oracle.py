"""``transforms.impact_metrics`` against an independent oracle of METRICS.md, cell by cell.

The oracle (``tests/transforms/oracle/metrics.py``) is a plain-Python reading of the spec,
written without looking at ``transforms``. Every (funder, metric, segment) cell is compared
on ``value, n, ci_low, ci_high, suppressed`` (floats to 1e-9), on:

* sample data (``pipelines.sample_data``, 800 participants) ingested by the real Dagster
  ingest, at several ``BT_AS_OF`` dates, with the sample funders plus funders with odd
  periods (one day, ending after / starting after ``BT_AS_OF``, a city with no data, a city
  in several scopes);
* hand-made adversarial worlds (``oracle/cases.py``): Berlin midnight and DST, window
  boundaries, 60/61 days of silence, KM ties, AUC ties at 12 decimals, suppression ties;
* random small worlds concentrated on those boundaries (``oracle/random_world.py``).

A comparison where ``transforms`` is wrong must be marked ``xfail(strict=True)`` in
``KNOWN_WRONG`` below, never papered over in the oracle.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import polars as pl
import pytest
from oracle.cases import CASES
from oracle.harness import diff, matching_inputs, oracle_cells, restrict, transforms_cells
from oracle.metrics import METRIC_IDS, Z, km_cell, mean_cell, score, share_cell
from oracle.random_world import random_world
from scipy import stats

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

SAMPLE_AS_OF = dt.date(2026, 11, 25)
SAMPLE_DATES = (dt.date(2026, 11, 25), dt.date(2026, 6, 30), dt.date(2026, 3, 1))
RANDOM_SEEDS = range(40)

#: (dataset, metric_id) -> reason, for comparisons where transforms disagrees with the spec.
#: Empty: no disagreement found (see the review notes in the lead's issue).
KNOWN_WRONG: dict[tuple[str, str], str] = {}


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------


def _ingest(inbox: Path, warehouse: Path, as_of: str) -> dict[str, pl.DataFrame]:
    """The ingest assets of the pipeline with their checks (``ingest_helpers.ingest``), then core.*."""
    import duckdb
    from ingest_helpers import ingest

    ingest(inbox, warehouse, as_of)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return {
            t: con.sql(f"SELECT * FROM core.{t}").pl()
            for t in ("participants", "matches", "feedback", "surveys")
        }


def _extra_funders() -> list:
    from transforms import Funder

    all_cities = (
        "Leipzig",
        "Dresden",
        "Chemnitz",
        "Zwickau",
        "Plauen",
        "Freiberg",
        "Görlitz",
        "Bautzen",
    )
    return [
        Funder("one-day", "x", ("Leipzig",), dt.date(2026, 3, 17), dt.date(2026, 3, 17)),
        Funder("beyond", "x", ("Dresden", "Chemnitz"), dt.date(2026, 1, 1), dt.date(2027, 12, 31)),
        Funder("future", "x", ("Leipzig",), dt.date(2027, 1, 1), dt.date(2027, 6, 30)),
        Funder("nodata", "x", ("Atlantis", "Görlitz"), dt.date(2025, 1, 1), dt.date(2026, 12, 31)),
        Funder("everything", "x", all_cities, dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
    ]


@pytest.fixture(scope="module")
def sample_core(tmp_path_factory) -> tuple[dict[str, pl.DataFrame], list]:
    from pipelines.funders import parse_funders
    from pipelines.sample_data import generate

    root = tmp_path_factory.mktemp("oracle_sample")
    generate(
        root / "inbox",
        participants=800,
        seed=7,
        as_of=SAMPLE_AS_OF,
        funders_path=root / "funders.toml",
    )
    core = _ingest(root / "inbox", root / "warehouse.duckdb", SAMPLE_AS_OF.isoformat())
    funders = parse_funders((root / "funders.toml").read_text("utf-8")) + _extra_funders()
    return core, funders


_CACHE: dict[str, tuple[dict, dict]] = {}


def _sample_dataset(sample_core, as_of: dt.date) -> tuple[dict, dict]:
    key = f"sample@{as_of}"
    if key not in _CACHE:
        core, funders = sample_core
        frames = restrict(core, as_of)
        proposals, scores = matching_inputs(frames)
        # the pipeline hands feedback to the transforms without the comment column
        t_frames = {**frames, "feedback": frames["feedback"].drop("comment")}
        _CACHE[key] = (
            oracle_cells(frames, proposals, scores, funders, as_of),
            transforms_cells(t_frames, proposals, scores, funders, as_of),
        )
    return _CACHE[key]


def _world_cells(w, funders, as_of) -> tuple[dict, dict]:
    frames = w.frames()
    proposals = w.frame("proposals")
    scores = w.frame("match_scores")
    if scores.is_empty() and not frames["matches"].is_empty():
        _, scores = matching_inputs(frames)
    return (
        oracle_cells(frames, proposals, scores, funders, as_of),
        transforms_cells(frames, proposals, scores, funders, as_of),
    )


def _case_dataset(name: str) -> tuple[dict, dict]:
    if name not in _CACHE:
        _CACHE[name] = _world_cells(*CASES[name]())
    return _CACHE[name]


def _random_dataset() -> tuple[dict, dict]:
    """All random worlds at once; keys get the seed prepended to the funder id."""
    if "random" not in _CACHE:
        ours_all, theirs_all = {}, {}
        for seed in RANDOM_SEEDS:
            ours, theirs = _world_cells(*random_world(seed))
            ours_all.update({(f"s{seed}:{k[0]}", *k[1:]): v for k, v in ours.items()})
            theirs_all.update({(f"s{seed}:{k[0]}", *k[1:]): v for k, v in theirs.items()})
        _CACHE["random"] = (ours_all, theirs_all)
    return _CACHE["random"]


DATASETS = [f"sample@{d}" for d in SAMPLE_DATES] + list(CASES) + ["random"]


def _dataset(name: str, request) -> tuple[dict, dict]:
    if name.startswith("sample@"):
        return _sample_dataset(
            request.getfixturevalue("sample_core"), dt.date.fromisoformat(name[7:])
        )
    if name == "random":
        return _random_dataset()
    return _case_dataset(name)


def _params():
    for ds in DATASETS:
        for metric in METRIC_IDS:
            marks = []
            if (ds, metric) in KNOWN_WRONG:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[(ds, metric)]))
            yield pytest.param(ds, metric, id=f"{ds}-{metric}", marks=marks)


# ---------------------------------------------------------------------------------------
# Cell-by-cell agreement
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("dataset", "metric"), list(_params()))
def test_transforms_agree_with_oracle(dataset, metric, request):
    ours, theirs = _dataset(dataset, request)
    problems = diff(ours, theirs, metric)
    assert not problems, f"{len(problems)} cells differ:\n" + "\n".join(problems[:30])


@pytest.mark.parametrize("dataset", DATASETS)
def test_same_rows(dataset, request):
    """Exactly the fixed segment lists: no missing and no extra (funder, metric, segment)."""
    ours, theirs = _dataset(dataset, request)
    assert set(theirs) == set(ours)
    assert {k[1] for k in theirs} == set(METRIC_IDS)


# ---------------------------------------------------------------------------------------
# Spec facts computed by hand (they guard the oracle as much as transforms)
# ---------------------------------------------------------------------------------------


def _both(name: str) -> list[dict]:
    return list(_case_dataset(name))


@pytest.mark.parametrize("side", [0, 1], ids=["oracle", "transforms"])
def test_km_by_hand(side):
    """Durations 0E, 60C, 61E, 61C, 182E, 183E (censored 61 stays at risk, event at 182 counts)."""
    cells = _both("km_hand")[side]
    c = cells[("km", "tandem_survival_182d", "all")]
    s = 5 / 6 * 3 / 4 * 1 / 2
    var = s * s * (1 / (6 * 5) + 1 / (4 * 3) + 1 / (2 * 1))
    assert c["n"] == 6 and c["value"] == pytest.approx(s, abs=1e-12)
    assert c["ci_low"] == 0.0
    assert c["ci_high"] == pytest.approx(s + Z * math.sqrt(var), abs=1e-12)


@pytest.mark.parametrize("side", [0, 1], ids=["oracle", "transforms"])
def test_auc_by_hand(side):
    cells = _both("auc_and_stats")[side]
    # Leipzig: positives {0.375, 0.5}, negatives {0.375 (after rounding), 0.2, 0.6}.
    assert cells[("auc", "score_auc_sustained", "city=Leipzig")]["value"] == pytest.approx(3.5 / 6)
    assert cells[("auc", "score_auc_sustained", "all")]["value"] == pytest.approx(8.5 / 16)
    one_class = cells[("auc", "score_auc_sustained", "city=Dresden")]
    assert one_class["value"] is None and one_class["n"] == 2 and one_class["suppressed"]
    sd0 = cells[("auc", "mean_proposal_score", "city=Leipzig")]
    assert (sd0["value"], sd0["ci_low"], sd0["ci_high"]) == (0.4, 0.4, 0.4)
    n1 = cells[("auc", "mean_proposal_score", "city=Dresden")]
    assert n1["n"] == 1 and n1["ci_low"] is None and n1["ci_high"] is None


@pytest.mark.parametrize("side", [0, 1], ids=["oracle", "transforms"])
def test_suppression_by_hand(side):
    cells = _both("suppression")[side]

    def sup(f, m, s):
        return cells[(f, m, s)]["suppressed"]

    # B (3) primary; A and C tie at 6 -> A, the first in segment order; D (0) untouched.
    assert [sup("ties", "registrations", f"city={c}") for c in "ABCD"] == [True, True, False, False]
    # Two primaries (A 2, B 1): nothing more.
    assert [sup("ties", "matches_made", f"city={c}") for c in "ABCD"] == [True, True, False, False]
    # One primary and no other non-zero cell: nothing more, n = 0 cells never suppressed.
    alone = [
        cells[("alone", "proposal_coverage", s)]
        for s in ("city=A", "city=Atlantis", "city=Nowhere")
    ]
    assert [(c["n"], c["suppressed"]) for c in alone] == [(3, True), (0, False), (0, False)]
    # Suppressed cells keep their value in the warehouse.
    assert cells[("ties", "registrations", "city=B")]["value"] == 3.0


def _boundaries_world():
    """Tiny world whose figures are easy to count by hand (funder "b", end = as_of)."""
    from oracle.frames import World, d

    from transforms import Funder

    w = World()
    as_of = d("2026-11-25")
    funders = [
        Funder("b", "b", ("Leipzig",), d("2026-01-01"), d("2026-12-31")),
        Funder("feb1", "f", ("Leipzig",), d("2026-02-01"), d("2026-02-01")),
    ]
    # match_rate_30d: 30 days of elapsed time across the March DST change is "within 30".
    for pid, at in (("r1", "2026-03-31T12:00:00Z"), ("r2", "2026-03-31T12:00:01Z")):
        w.person(pid, registered_at="2026-03-01T12:00:00Z")
        w.person(pid + "l", group="local", registered_at="2025-01-01T12:00:00Z")
        w.match("m" + pid, pid, pid + "l", at)
    # Berlin dates: 2026-01-31T23:30Z is 02-01 (in feb1), 22:30Z is 01-31 (not).
    w.person("t1", registered_at="2026-01-31T23:30:00Z", status="waiting")
    w.person("t2", registered_at="2026-01-31T22:30:00Z", status="waiting")
    # sustained_rate: d0 = 08-27 (Berlin) = end - 90 counts; 08-28 does not.
    for mid, at in (("s1", "2026-08-26T22:30:00Z"), ("s2", "2026-08-27T22:30:00Z")):
        w.person(mid + "n", registered_at="2025-01-01T12:00:00Z")
        w.person(mid + "l", group="local", registered_at="2025-01-01T12:00:00Z")
        w.match(mid, mid + "n", mid + "l", at)
        d0 = d("2026-08-27") if mid == "s1" else d("2026-08-28")
        for k in (0, 42, 90 if mid == "s1" else 89):
            w.meet(mid, mid + "n", d0 + dt.timedelta(days=k))
    return w, funders, as_of


@pytest.mark.parametrize("side", [0, 1], ids=["oracle", "transforms"])
def test_boundaries_by_hand(side):
    cells = _world_cells(*_boundaries_world())[side]
    rate = cells[("b", "match_rate_30d", "all")]
    # Registered in 2026: r1, r2, t1, t2 (locals and s* registered 2025). Only r1 counts:
    # matched after exactly 30 days; r2 one second late; t1, t2 never matched.
    assert (rate["n"], rate["value"]) == (4, 0.25)
    assert cells[("feb1", "registrations", "all")]["n"] == 1  # t1 only
    sus = cells[("b", "sustained_rate", "all")]
    # mr1, mr2 (no meetings) and s1 (dates d0, d0+42, d0+90: sustained); not s2 (too young).
    assert (sus["n"], sus["value"]) == (3, pytest.approx(1 / 3))
    assert cells[("b", "score_auc_sustained", "all")]["n"] == 3
    fm = cells[("b", "first_meeting_rate", "all")]
    assert fm["n"] == 4  # mr1, mr2, s1, s2 are all at least 28 days old


def test_wilson_and_t_match_scipy():
    for k, n in [(0, 1), (1, 1), (0, 7), (7, 7), (3, 4), (1, 10), (17, 40)]:
        _, _, lo, hi = share_cell(k, n)
        ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert lo == pytest.approx(ref.low, abs=1e-12) and hi == pytest.approx(ref.high, abs=1e-12)
    vals = [1.0, 4.0, 4.0, 5.0, 2.0]
    m, _, lo, hi = mean_cell(vals)
    ref = stats.t.interval(0.95, len(vals) - 1, loc=m, scale=stats.sem(vals))
    assert (lo, hi) == pytest.approx(ref, abs=1e-12)
    assert km_cell([(3, True)]) == (0.0, 1, 0.0, 0.0)  # S = 0 gives [0, 0]
    assert km_cell([(3, False)]) == (1.0, 1, 1.0, 1.0)  # no event: S = 1, Greenwood var 0


def test_score_matches_matching_core(sample_core):
    """The oracle's MATCHING.md score equals ``matching_core.score_pairs`` on every match."""
    core, _ = sample_core
    _, scores = matching_inputs(core)
    people = {p["participant_id"]: p for p in core["participants"].to_dicts()}
    got = dict(scores.iter_rows())
    for m in core["matches"].iter_rows(named=True):
        ours = score(people[m["newcomer_id"]], people[m["local_id"]])
        assert got[m["match_id"]] == pytest.approx(ours, abs=1e-12), m["match_id"]


@pytest.mark.parametrize("seed", [1, 2])
def test_metrics_do_not_depend_on_row_order(sample_core, seed):
    """Every figure is the same whatever order the input rows come in.

    impact_metrics loads its feedback and surveys from DuckDB unsorted (sorting 1.8 M feedback
    rows cost 0.5 s at 1M), so no metric may depend on row order: shuffle every input and
    compare.
    """
    core, funders = sample_core
    frames = restrict(core, SAMPLE_AS_OF)
    proposals, scores = matching_inputs(frames)
    frames = {**frames, "feedback": frames["feedback"].drop("comment")}
    ordered = transforms_cells(frames, proposals, scores, funders, SAMPLE_AS_OF)
    shuffled = transforms_cells(
        {k: v.sample(fraction=1.0, shuffle=True, seed=seed) for k, v in frames.items()},
        proposals.sample(fraction=1.0, shuffle=True, seed=seed),
        scores.sample(fraction=1.0, shuffle=True, seed=seed),
        funders,
        SAMPLE_AS_OF,
    )
    assert shuffled == ordered
    assert len(ordered) > 1000


@pytest.mark.parametrize("name", ["calendar", "km_hand"])
def test_match_outcomes_flags(name):
    """marts.match_outcomes: sustained on the meetings so far, mature_90d, ended, duration."""
    from oracle.metrics import bdate

    import transforms

    w, _, as_of = CASES[name]()
    frames = w.frames()
    out = transforms.match_outcomes(
        frames["matches"].lazy(), frames["feedback"].lazy(), as_of
    ).collect()
    meets: dict[str, set] = {}
    for f in frames["feedback"].iter_rows(named=True):
        if f["event_kind"] == "tandem_meeting" and f["attended"] and f["event_date"] <= as_of:
            meets.setdefault(f["match_id"], set()).add(f["event_date"])
    for r in out.iter_rows(named=True):
        d0 = bdate(r["matched_at"])
        dates = sorted(x for x in meets.get(r["match_id"], ()) if d0 <= x <= d0 + dt.timedelta(90))
        sustained = len(dates) >= 3 and (dates[-1] - dates[0]).days >= 42
        last = max(meets.get(r["match_id"], ()), default=d0)
        ended = r["ended_at"] is not None or (as_of - last).days > 60
        duration = (last - d0).days if ended else (as_of - d0).days
        assert r["sustained"] == sustained, r["match_id"]
        assert r["mature_90d"] == (d0 <= as_of - dt.timedelta(90)), r["match_id"]
        assert (r["ended"], r["duration_days"]) == (ended, duration), r["match_id"]
