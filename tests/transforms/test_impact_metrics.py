"""The whole table: shape, order, suppression end to end, n = 0 conventions, and a
property test against a brute-force Python re-implementation of several metrics."""

import datetime as dt
import random
import statistics
from collections import defaultdict
from zoneinfo import ZoneInfo

import hypothesis.strategies as st
import polars as pl
import pytest
from hypothesis import given, settings
from transforms_builders import (
    FUNDER,
    event,
    feedback,
    match,
    matches,
    meeting,
    participants,
    person,
    pick,
    run,
)

from transforms import IMPACT_METRICS_SCHEMA, METRICS, Funder, impact_metrics

COUNTS = {
    "registrations",
    "matches_made",
    "participants_matched",
    "tandem_meetings",
    "group_event_visits",
    "cross_group_ties",
}


def test_empty_inputs_every_cell_emitted_with_n0_conventions():
    df = run()
    assert df.schema == IMPACT_METRICS_SCHEMA
    # 18 participant metrics x 14 segments + 12 others x 3 segments (2 cities)
    assert df.height == 18 * 14 + 12 * 3
    assert (df["n"] == 0).all() and not df["suppressed"].any()
    counts = df.filter(pl.col("metric_id").is_in(COUNTS))
    assert (counts["value"] == 0.0).all()
    others = df.filter(~pl.col("metric_id").is_in(COUNTS))
    assert others["value"].is_null().all()
    assert df["ci_low"].is_null().all() and df["ci_high"].is_null().all()


def test_no_funders_gives_an_empty_table():
    out = impact_metrics(
        participants(), matches(), feedback(), pl.LazyFrame(), None, None, [], dt.date(2026, 1, 1)
    ).collect()
    assert out.height == 0 and out.schema == IMPACT_METRICS_SCHEMA


def test_order_funders_metrics_segments():
    second = Funder("f0", "Zero", ("Chemnitz",), dt.date(2026, 1, 1), dt.date(2026, 3, 31), "de")
    df = run(funders=(FUNDER, second))
    assert df["funder_id"].unique(maintain_order=True).to_list() == ["f1", "f0"]
    assert df.filter(pl.col("funder_id") == "f0")["metric_id"].unique(
        maintain_order=True
    ).to_list() == list(METRICS)
    segs = df.filter((pl.col("funder_id") == "f1") & (pl.col("metric_id") == "registrations"))
    assert segs["segment"].to_list()[:3] == ["all", "city=Leipzig", "city=Dresden"]
    assert df.filter(pl.col("funder_id") == "f0").height == 18 * 13 + 12 * 2


def test_suppression_end_to_end_registrations():
    f = Funder(
        "f1", "F", ("Leipzig", "Dresden", "Chemnitz"), dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    )
    people = (
        [person(f"a{i}", "Leipzig", registered_at="2026-02-01T10:00Z") for i in range(3)]
        + [person(f"b{i}", "Dresden", "local", registered_at="2026-02-01T10:00Z") for i in range(6)]
        + [
            person(f"c{i}", "Chemnitz", "local", registered_at="2026-02-01T10:00Z")
            for i in range(8)
        ]
    )
    c = pick(run(participants=participants(*people), funders=(f,)), "registrations")
    # cities 3 / 6 / 8: Leipzig primary, Dresden (smallest other non-zero) secondary
    assert c["city=Leipzig"]["suppressed"] and c["city=Dresden"]["suppressed"]
    assert not c["city=Chemnitz"]["suppressed"] and not c["all"]["suppressed"]
    # groups 3 newcomers (primary) / 14 locals -> locals secondary
    assert c["group=newcomer"]["suppressed"] and c["group=local"]["suppressed"]
    # gender all female 17, age all 25-39: nothing
    assert not c["gender=female"]["suppressed"] and not c["age=25-39"]["suppressed"]
    # suppressed cells keep their value in the warehouse
    assert c["city=Leipzig"]["value"] == 3.0


def test_a_city_in_two_scopes_is_computed_for_each():
    early = Funder("early", "E", ("Leipzig",), dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    late = Funder("late", "L", ("Leipzig", "Dresden"), dt.date(2026, 3, 1), dt.date(2026, 12, 31))
    p = participants(
        person("a", registered_at="2026-02-01T10:00Z"),
        person("b", registered_at="2026-03-15T10:00Z"),
        person("c", registered_at="2026-05-01T10:00Z"),
    )
    df = run(participants=p, funders=(early, late), as_of=dt.date(2026, 6, 30))
    assert pick(df, "registrations", "early")["all"]["n"] == 2  # a, b
    assert pick(df, "registrations", "late")["all"]["n"] == 2  # b, c
    assert pick(df, "registrations", "late")["city=Leipzig"]["n"] == 2


def test_group_event_and_meetings_feed_several_metrics():
    p = participants(person("n1"), person("l1", group="local"))
    m = matches(match("m1", "n1", "l1", "2026-01-01T10:00Z"))
    fb = feedback(
        meeting("n1", "m1", "2026-01-05", rating=5), event("l1", "e1", "2026-01-06", contacts=2)
    )
    df = run(participants=p, matches=m, feedback=fb)
    assert pick(df, "tandem_meetings")["all"]["n"] == 1
    assert pick(df, "group_event_visits")["all"]["n"] == 1
    assert pick(df, "cross_group_ties")["all"]["value"] == 3.0  # 1 match + 2 contacts
    assert pick(df, "cross_group_ties")["all"]["n"] == 2
    assert pick(df, "mean_rating")["all"]["value"] == 5.0


# ---------------------------------------------------------------------------------------
# Property test: random data sets against a brute-force re-implementation of the spec.

BERLIN = ZoneInfo("Europe/Berlin")
CITIES = ["Leipzig", "Dresden", "Halle"]
TIMES = [(0, 0), (10, 0), (21, 59), (22, 0), (22, 30), (23, 30)]
AS_OF = dt.date(2026, 9, 30)
F_A = Funder("a", "A", ("Leipzig", "Dresden"), dt.date(2026, 1, 1), dt.date(2026, 6, 30))
F_B = Funder("b", "B", ("Leipzig",), dt.date(2026, 3, 1), dt.date(2026, 12, 31))


def _instant(rng: random.Random, start: dt.date, days: int) -> dt.datetime:
    day = start + dt.timedelta(days=rng.randrange(days))
    h, m = rng.choice(TIMES)
    return dt.datetime(day.year, day.month, day.day, h, m, tzinfo=dt.UTC)


def _dataset(seed: int):
    rng = random.Random(seed)
    people = []
    for i in range(rng.randrange(5, 30)):
        people.append(
            {
                "id": f"p{i}",
                "group": rng.choice(["newcomer", "local"]),
                "city": rng.choice(CITIES),
                "registered_at": _instant(rng, dt.date(2025, 10, 1), 300),
                "birth_year": rng.choice([None, 1950, 1966, 1967, 1986, 1987, 2001, 2002]),
                "gender": rng.choice(["female", "male", "diverse", "unspecified"]),
            }
        )
    newcomers = [p for p in people if p["group"] == "newcomer"]
    locals_ = [p for p in people if p["group"] == "local"]
    ms, fb = [], []
    if newcomers and locals_:
        for j in range(rng.randrange(0, 25)):
            n, loc = rng.choice(newcomers), rng.choice(locals_)
            start = max(n["registered_at"], loc["registered_at"])
            at = start + dt.timedelta(
                days=rng.choice([0, 1, 29, 30, 31, 60]), seconds=rng.randrange(-1, 2) + 1
            )
            if at.astimezone(BERLIN).date() > AS_OF:
                continue
            d0 = at.astimezone(BERLIN).date()
            ended = rng.random() < 0.3
            ms.append(
                {
                    "id": f"m{j}",
                    "newcomer": n["id"],
                    "local": loc["id"],
                    "matched_at": at,
                    "ended_at": at + dt.timedelta(days=5) if ended else None,
                }
            )
            for _ in range(rng.randrange(0, 6)):
                date = d0 + dt.timedelta(days=rng.choice([0, 1, 20, 28, 29, 42, 43, 90, 91, 150]))
                if date <= AS_OF:
                    fb.append((rng.choice([n["id"], loc["id"]]), f"m{j}", date, rng.random() < 0.8))
    return people, ms, fb


def _frames(people, ms, fb):
    p = participants(
        *[
            person(
                x["id"],
                x["city"],
                x["group"],
                x["registered_at"].isoformat(),
                birth_year=x["birth_year"],
                gender=x["gender"],
            )
            for x in people
        ]
    )
    m = matches(
        *[
            match(
                x["id"],
                x["newcomer"],
                x["local"],
                x["matched_at"].isoformat(),
                x["ended_at"].isoformat() if x["ended_at"] else None,
            )
            for x in ms
        ]
    )
    f = feedback(*[meeting(pid, mid, date.isoformat(), attended=att) for pid, mid, date, att in fb])
    return p, m, f


def _bdate(t: dt.datetime) -> dt.date:
    return t.astimezone(BERLIN).date()


def _band(by, end):
    if by is None:
        return "unknown"
    age = end.year - by
    return "<25" if age < 25 else "25-39" if age < 40 else "40-59" if age < 60 else "60+"


def _person_segments(p, f: Funder, end):
    segs = [
        "all",
        f"group={p['group']}",
        f"gender={p['gender']}",
        f"age={_band(p['birth_year'], end)}",
    ]
    if p["city"] in f.cities:
        segs.append(f"city={p['city']}")
    return segs


def _oracle(people, ms, fb, f: Funder):
    """Brute-force figures: {(metric_id, segment): (value, n)}."""
    end = min(f.period_end, AS_OF)

    def in_period(d):
        return f.period_start <= d <= end

    by_id = {p["id"]: p for p in people}
    out = {}

    def put(metric, units, value_fn, segs_fn):
        cells = defaultdict(list)
        for u in units:
            for s in segs_fn(u):
                cells[s].append(u)
        for s, us in cells.items():
            out[(metric, s)] = (value_fn(us), len(us))

    scoped = [p for p in people if p["city"] in f.cities]

    def pseg(p):
        return _person_segments(p, f, end)

    regs = [p for p in scoped if in_period(_bdate(p["registered_at"]))]
    put("registrations", regs, len, pseg)

    first = {}
    for m in ms:
        for pid in (m["newcomer"], m["local"]):
            first[pid] = min(first.get(pid, m["matched_at"]), m["matched_at"])
    den = [p for p in regs if _bdate(p["registered_at"]) <= end - dt.timedelta(days=30)]

    def hit(p):
        return p["id"] in first and first[p["id"]] - p["registered_at"] <= dt.timedelta(days=30)

    put("match_rate_30d", den, lambda us: sum(map(hit, us)) / len(us), pseg)

    firsts = [p for p in scoped if p["id"] in first and in_period(_bdate(first[p["id"]]))]

    def days(p):
        return (first[p["id"]] - p["registered_at"]).total_seconds() / 86400

    put("median_days_to_match", firsts, lambda us: statistics.median(map(days, us)), pseg)

    made = [
        m
        for m in ms
        if by_id[m["newcomer"]]["city"] in f.cities and in_period(_bdate(m["matched_at"]))
    ]

    def mseg(m):
        return ["all", f"city={by_id[m['newcomer']]['city']}"]

    put("matches_made", made, len, mseg)
    matched = {pid for m in made for pid in (m["newcomer"], m["local"])}
    put("participants_matched", [by_id[i] for i in matched], len, pseg)

    dates = defaultdict(set)
    for _pid, mid, date, attended in fb:
        if attended:
            dates[mid].add(date)

    def sustained(m):
        d0 = _bdate(m["matched_at"])
        w = sorted(d for d in dates[m["id"]] if d0 <= d <= d0 + dt.timedelta(days=90))
        return len(w) >= 3 and (w[-1] - w[0]).days >= 42

    def met28(m):
        d0 = _bdate(m["matched_at"])
        return any(d0 <= d <= d0 + dt.timedelta(days=28) for d in dates[m["id"]])

    old28 = [m for m in made if _bdate(m["matched_at"]) <= end - dt.timedelta(days=28)]
    put("first_meeting_rate", old28, lambda us: sum(map(met28, us)) / len(us), mseg)
    old90 = [m for m in made if _bdate(m["matched_at"]) <= end - dt.timedelta(days=90)]
    put("sustained_rate", old90, lambda us: sum(map(sustained, us)) / len(us), mseg)

    def survival(us):
        obs = []
        for m in us:
            d0 = _bdate(m["matched_at"])
            last = max(dates[m["id"]], default=d0)
            ended = m["ended_at"] is not None or (AS_OF - last).days > 60
            obs.append(((last - d0).days if ended else (AS_OF - d0).days, ended))
        s = 1.0
        for t in sorted({t for t, e in obs if e and t <= 182}):
            at_risk = sum(1 for u, _ in obs if u >= t)
            d = sum(1 for u, e in obs if u == t and e)
            s *= 1 - d / at_risk
        return s

    put("tandem_survival_182d", made, survival, mseg)

    meets = {(m["id"], d) for m in ms for d in dates[m["id"]]}
    meet_units = [
        (mid, d)
        for mid, d in meets
        if by_id[next(m for m in ms if m["id"] == mid)["newcomer"]]["city"] in f.cities
        and in_period(d)
    ]
    city_of_match = {m["id"]: by_id[m["newcomer"]]["city"] for m in ms}
    put("tandem_meetings", meet_units, len, lambda u: ["all", f"city={city_of_match[u[0]]}"])
    return out


ORACLE_METRICS = [
    "registrations",
    "match_rate_30d",
    "median_days_to_match",
    "matches_made",
    "participants_matched",
    "first_meeting_rate",
    "sustained_rate",
    "tandem_survival_182d",
    "tandem_meetings",
]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_against_brute_force_oracle(seed):
    people, ms, fb = _dataset(seed)
    p, m, f = _frames(people, ms, fb)
    df = run(participants=p, matches=m, feedback=f, funders=(F_A, F_B), as_of=AS_OF)
    for funder in (F_A, F_B):
        expected = _oracle(people, ms, fb, funder)
        for metric in ORACLE_METRICS:
            got = pick(df, metric, funder.id)
            for seg, row in got.items():
                value, n = expected.get((metric, seg), (None, 0))
                if n == 0 and metric in COUNTS:
                    value = 0
                assert row["n"] == n, (funder.id, metric, seg)
                if value is None:
                    assert row["value"] is None, (funder.id, metric, seg)
                else:
                    assert row["value"] == pytest.approx(value, abs=1e-12), (funder.id, metric, seg)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_properties_families_add_up_shares_in_unit_interval(seed):
    people, ms, fb = _dataset(seed)
    p, m, f = _frames(people, ms, fb)
    df = run(participants=p, matches=m, feedback=f, funders=(F_A,), as_of=AS_OF)
    for metric in ("registrations", "participants_matched"):
        c = pick(df, metric, "a")
        total = c["all"]["n"]
        for prefix in ("group=", "gender=", "age="):
            assert sum(r["n"] for s, r in c.items() if s.startswith(prefix)) == total
    # registrations: every registrant is in a scope city, so the cities add up too
    c = pick(df, "registrations", "a")
    assert sum(r["n"] for s, r in c.items() if s.startswith("city=")) == c["all"]["n"]
    shares = df.filter(
        pl.col("metric_id").is_in(
            ["match_rate_30d", "first_meeting_rate", "sustained_rate", "tandem_survival_182d"]
        )
        & pl.col("value").is_not_null()
    )
    assert shares["value"].is_between(0, 1).all()
    assert (shares["ci_low"] <= shares["value"] + 1e-12).all()
    assert (shares["ci_high"] >= shares["value"] - 1e-12).all()
    assert shares["ci_low"].is_between(0, 1).all() and shares["ci_high"].is_between(0, 1).all()
