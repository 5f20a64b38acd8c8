"""Hand-made adversarial worlds: each returns (World, funders, as_of)."""

from __future__ import annotations

import datetime as dt

from oracle.frames import World, d

DAY = dt.timedelta(days=1)


def _funder(fid, cities, start, end):
    from transforms import Funder

    return Funder(fid, fid, tuple(cities), d(start), d(end))


def _iso(day: dt.date, hhmm: str = "10:00") -> str:
    return f"{day.isoformat()}T{hhmm}:00Z"


def calendar() -> tuple[World, list, dt.date]:
    """Berlin dates, DST, window boundaries, KM boundaries, scope attribution."""
    as_of = d("2026-11-25")
    w = World()
    funders = [
        _funder("year", ["Leipzig", "Dresden"], "2026-01-01", "2026-12-31"),  # end = as_of
        _funder("h1", ["Leipzig"], "2026-01-01", "2026-06-30"),
        _funder("h2", ["Leipzig"], "2026-07-01", "2026-12-31"),
        _funder("feb1", ["Leipzig", "Dresden"], "2026-02-01", "2026-02-01"),  # a single day
        _funder("y2025", ["Leipzig", "Atlantis"], "2025-01-01", "2025-12-31"),
        _funder("future", ["Leipzig"], "2027-01-01", "2027-06-30"),  # starts after as_of
        _funder("dresden-late", ["Dresden"], "2026-10-01", "2027-03-31"),  # ends after as_of
    ]
    # Registrations around Berlin midnight (CEST in June, CET in January).
    w.person("tz1", registered_at="2026-06-30T21:30:00Z", status="waiting")  # Berlin 06-30 23:30
    w.person("tz2", registered_at="2026-06-30T22:30:00Z", status="waiting")  # Berlin 07-01 00:30
    w.person("tz3", registered_at="2026-01-31T22:30:00Z", status="waiting", city="Dresden")  # 01-31
    w.person("tz4", registered_at="2026-01-31T23:30:00Z", status="waiting", city="Dresden")  # 02-01
    w.person("tz5", registered_at="2025-12-31T22:59:00Z", status="paused")  # Berlin 2025-12-31
    w.person("tz6", registered_at="2025-12-31T23:00:00Z", status="left")  # Berlin 2026-01-01
    # Age bands by year(end): birth years around 24/25, 39/40, 59/60, unknown; all genders.
    for i, (by, g) in enumerate(
        [
            (2002, "female"),
            (2001, "male"),
            (1987, "diverse"),
            (1986, "unspecified"),
            (1967, "female"),
            (1966, "male"),
            (None, "diverse"),
            (2000, "female"),
        ]
    ):
        grp = "newcomer" if i % 2 else "local"
        w.person(
            f"age{i}",
            registered_at="2025-06-15T10:00:00Z",
            birth_year=by,
            gender=g,
            group=grp,
            status="waiting",
        )
        w.person(
            f"agb{i}",
            registered_at="2026-04-15T10:00:00Z",
            birth_year=by,
            gender=g,
            group=grp,
            status="waiting",
            city="Dresden" if i % 3 == 0 else "Leipzig",
        )

    # match_rate_30d: exact elapsed time across the March DST change.
    w.person("r1", registered_at="2026-03-01T12:00:00Z")
    w.person("r1l", group="local", registered_at="2026-01-01T12:00:00Z")
    w.match("mr1", "r1", "r1l", "2026-03-31T12:00:00Z")  # exactly 30 days
    w.person("r2", registered_at="2026-03-01T12:00:00Z")
    w.person("r2l", group="local", registered_at="2026-01-01T12:00:00Z")
    w.match("mr2", "r2", "r2l", "2026-03-31T12:00:01Z")  # 30 days + 1 s
    # Registration date exactly end - 30 (Berlin) is in, one day later is out.
    w.person("r3", registered_at="2026-10-25T23:30:00Z", status="waiting")  # Berlin 10-26
    w.person("r4", registered_at="2026-10-26T23:30:00Z", status="waiting")  # Berlin 10-27
    # First match in another city (Dresden newcomer), ended; later a Leipzig match.
    w.person("r5", group="local", registered_at="2026-02-01T10:00:00Z")
    w.person("r5n", city="Dresden", registered_at="2026-01-01T10:00:00Z")
    w.match("mr5a", "r5n", "r5", "2026-02-20T10:00:00Z", ended_at="2026-03-01T10:00:00Z")
    w.person("r5m", registered_at="2026-01-01T10:00:00Z")
    w.match("mr5b", "r5m", "r5", "2026-05-20T10:00:00Z")
    # Registered before the period, first match in period (median counts it).
    w.person("r6", registered_at="2025-12-01T10:00:00Z")
    w.person("r6l", group="local", registered_at="2025-12-01T10:00:00Z")
    w.match("mr6", "r6", "r6l", "2026-01-15T16:00:00Z")
    # First match before the period, second in period: not in the median.
    w.person("r7", registered_at="2025-11-01T10:00:00Z")
    w.person("r7l", group="local", registered_at="2025-11-01T10:00:00Z")
    w.match("mr7a", "r7", "r7l", "2025-11-10T10:00:00Z", ended_at="2025-12-01T10:00:00Z")
    w.person("r7k", group="local", registered_at="2025-11-01T10:00:00Z")
    w.match("mr7b", "r7", "r7k", "2026-02-10T10:00:00Z")

    # Outcome windows (funder "year": end = 2026-11-25, end-28 = 10-28, end-90 = 08-27).
    def pair(mid, matched_at, *, city="Leipzig", local_city=None, ended_at=None):
        n, loc = f"{mid}n", f"{mid}l"
        w.person(n, city=city, registered_at="2025-10-01T10:00:00Z")
        w.person(
            loc,
            city=local_city or city,
            group="local",
            registered_at="2025-10-01T10:00:00Z",
            gender="male",
        )
        w.match(mid, n, loc, matched_at, ended_at)
        return n, loc

    n1, _l1 = pair("m1", "2026-08-26T22:30:00Z")  # Berlin 08-27 = end - 90
    d0 = d("2026-08-27")
    for k in (0, 42, 90):
        w.meet("m1", n1, d0 + k * DAY, rating=5, again=True)
    _n2, l2 = pair("m2", "2026-08-27T22:30:00Z")  # Berlin 08-28: too young for sustained_rate
    for k in (0, 42, 89):
        w.meet("m2", l2, d("2026-08-28") + k * DAY)
    n3, _l3 = pair("m3", "2026-06-01T10:00:00Z")  # span 41 days: not sustained
    for k in (0, 20, 41, 91):
        w.meet("m3", n3, d("2026-06-01") + k * DAY, rating=2)
    _n4, l4 = pair("m4", "2026-06-01T10:00:00Z")  # span exactly 42: sustained
    for k in (1, 22, 43):
        w.meet("m4", l4, d("2026-06-01") + k * DAY, rating=4, again=False)
    n5, l5 = pair("m5", "2026-06-01T10:00:00Z")  # two distinct dates only
    w.meet("m5", n5, "2026-06-01")
    w.meet("m5", l5, "2026-06-01")
    w.meet("m5", l5, "2026-06-20", attended=False, rating=1, again=False)
    w.meet("m5", n5, "2026-07-13")
    w.meet("m5", l5, "2026-07-13")
    _n6, l6 = pair("m6", "2026-10-27T23:30:00Z")  # Berlin 10-28 = end - 28
    w.meet("m6", l6, "2026-11-25")  # d0 + 28: counts
    n7, _l7 = pair("m7", "2026-10-28T23:30:00Z")  # Berlin 10-29: too young
    w.meet("m7", n7, "2026-10-30")
    n8, _l8 = pair("m8", "2026-05-01T10:00:00Z")  # first meeting d0 + 29
    w.meet("m8", n8, "2026-05-30")
    pair("m9", "2026-09-26T10:00:00Z")  # 60 days of silence: censored at 60
    pair("m10", "2026-09-25T10:00:00Z")  # 61 days of silence: ended at 0
    n11, l11 = pair("m11", "2026-03-01T10:00:00Z", ended_at="2026-04-01T10:00:00Z")
    w.meet("m11", n11, "2026-03-05")
    w.meet("m11", l11, "2026-05-01")  # after ended_at: still counts, duration 61
    n12, _l12 = pair("m12", "2026-09-25T10:00:00Z")  # censored at 61 (= an event time)
    w.meet("m12", n12, "2026-11-20")
    n13, _l13 = pair("m13", "2026-01-10T10:00:00Z")  # event exactly at 182
    w.meet("m13", n13, d("2026-01-10") + 182 * DAY)
    n14, _l14 = pair("m14", "2026-01-10T10:00:00Z")  # event at 183
    w.meet("m14", n14, d("2026-01-10") + 183 * DAY)
    pair("m15", "2026-02-10T10:00:00Z", ended_at="2026-02-11T10:00:00Z")  # ended, no meeting: 0
    n16, _l16 = pair("m16", "2025-12-31T23:30:00Z")  # Berlin 2026-01-01: made in period
    w.meet("m16", n16, "2026-01-01")
    n17, l17 = pair("m17", "2025-12-31T22:30:00Z")  # Berlin 2025-12-31: before the period
    w.meet("m17", n17, "2026-01-02", rating=3)
    w.meet("m17", l17, "2026-01-02", rating=4)  # same (match, date) twice
    w.meet("m17", l17, "2025-12-31")
    # A Leipzig match whose local lives in Chemnitz; and one whose newcomer is out of scope.
    n18, l18 = pair("m18", "2026-04-01T10:00:00Z", local_city="Chemnitz")
    w.meet("m18", l18, "2026-04-03", rating=1, again=True)
    w.meet("m18", n18, "2026-04-03", rating=5, again=None)
    _n19, l19 = pair("m19", "2026-04-01T10:00:00Z", city="Chemnitz", local_city="Leipzig")
    w.meet("m19", l19, "2026-04-04", rating=2, again=False)
    # A Dresden match with a single-day-period meeting.
    n20, _l20 = pair("m20", "2026-01-31T23:30:00Z", city="Dresden")  # Berlin 02-01
    w.meet("m20", n20, "2026-02-01", rating=3, again=True)

    # Group events: repeated rows, null contacts, not attended, would_meet_again on events.
    w.event("age0", "e1", "2025-12-31", contacts=4)
    w.event("age0", "e1", "2026-01-02", contacts=None, rating=5)
    w.event("age0", "e1", "2026-01-03", contacts=2, rating=4, again=False)
    w.event("age1", "e1", "2026-01-02", attended=False, contacts=9, rating=1)
    w.event("agb0", "e2", "2026-02-01", contacts=3, rating=2)  # Dresden, single-day period
    w.event("age2", "e3", "2025-06-30", contacts=1, rating=3)
    w.event("age3", "e3", "2025-07-01", contacts=0)
    w.event("age4", "e4", "2026-11-25", contacts=7, rating=5, again=True)

    # Surveys: consent, missing items, loneliness, answered_at around midnight.
    w.survey("age0", "baseline", "2024-05-01T10:00:00Z", belonging=2)
    w.survey("age0", "followup_3m", "2025-12-31T22:59:00Z", belonging=3, lonely_2=None)  # 2025
    w.survey("age1", "baseline", "2025-01-01T10:00:00Z", belonging=3, trust_people=None)
    w.survey("age1", "followup_3m", "2025-12-31T23:00:00Z", belonging=4)  # Berlin 2026-01-01
    w.survey("age2", "baseline", "2025-01-01T10:00:00Z", belonging=4, lonely_1=1, lonely_3=1)
    w.survey("age2", "followup_3m", "2025-04-01T10:00:00Z", belonging=4, lonely_1=3)
    w.survey("age2", "followup_12m", "2026-01-01T10:00:00Z", belonging=5)
    w.survey("age3", "followup_3m", "2025-04-01T10:00:00Z")  # no baseline
    w.survey("agb1", "baseline", "2026-04-16T10:00:00Z", belonging=1, outgroup_attitude=40)
    w.survey("agb1", "followup_3m", "2026-07-16T10:00:00Z", belonging=3, outgroup_attitude=70)
    w.survey("agb2", "baseline", "2026-04-16T10:00:00Z", belonging=3)
    w.survey("agb2", "followup_3m", "2026-11-25T23:30:00Z", belonging=5)  # Berlin 11-26
    w.survey("agb4", "baseline", "2026-04-16T10:00:00Z", belonging=2, diversity_acceptance=None)
    w.survey("agb4", "followup_3m", "2026-07-16T10:00:00Z", belonging=2)
    w.survey("agb5", "baseline", "2026-04-16T10:00:00Z", belonging=4)
    w.survey("agb5", "followup_3m", "2026-07-16T10:00:00Z", belonging=1)
    w.survey("agb6", "baseline", "2026-04-16T10:00:00Z", belonging=2)
    w.survey("agb6", "followup_3m", "2026-07-16T10:00:00Z", belonging=3)
    # No research consent: never a pair.
    w.person("nc1", registered_at="2026-03-03T10:00:00Z", consent=False, status="waiting")
    w.survey("nc1", "baseline", "2026-03-03T10:00:00Z", belonging=1)
    w.survey("nc1", "followup_3m", "2026-06-03T10:00:00Z", belonging=5)

    # Proposals / waiting set.
    w.person("wt1", status="waiting", group="local")
    w.person("wt2", status="waiting")
    w.match("mw2", "wt2", "wt1", "2026-02-01T10:00:00Z", ended_at="2026-03-01T10:00:00Z")
    w.person("wt3", status="waiting", group="local")
    w.person("wt4", status="waiting")
    w.match("mw4", "wt4", "wt3", "2026-02-01T10:00:00Z")  # open match: not waiting
    w.person("wt5", status="waiting", city="Dresden", group="local")
    w.proposal("wt2", "wt1", "Leipzig", 0.5)
    w.proposal("age1", "age0", "Leipzig", 0.25)
    w.proposal("agb3", "wt5", "Dresden", 0.375)
    w.proposal("tz3", "age2", "Dresden", 0.75)  # the pair's city as written, newcomer in Dresden
    return w, funders, as_of


def suppression() -> tuple[World, list, dt.date]:
    """Families with one primary cell, ties for the secondary, none to take, two primaries."""
    as_of = d("2026-06-30")
    w = World()
    funders = [
        _funder("ties", ["A", "B", "C", "D"], "2026-01-01", "2026-06-30"),
        _funder("alone", ["A", "Atlantis", "Nowhere"], "2026-01-01", "2026-06-30"),
        _funder("two", ["A", "B", "C"], "2026-01-01", "2026-06-30"),
    ]
    # ties: A 6, B 3, C 6, D 0 -> B primary, A secondary (tie with C, A first).
    counts = {"A": 6, "B": 3, "C": 6}
    k = 0
    genders = ["female", "male", "diverse", "unspecified"]
    for city, c in counts.items():
        for _i in range(c):
            k += 1
            # a spread of genders and birth years so every family has small cells
            g = genders[[0, 1, 1, 2, 2, 1, 2, 1, 2, 1, 2, 0, 3, 1, 2][k - 1]]
            by = [
                2005,
                1990,
                1990,
                1990,
                1990,
                1970,
                1970,
                1970,
                1970,
                1970,
                1950,
                1950,
                1950,
                1950,
                1950,
            ][k - 1]
            w.person(
                f"p{k}",
                city=city,
                gender=g,
                birth_year=by,
                status="waiting",
                group="newcomer" if k % 4 else "local",
                registered_at=f"2026-0{1 + k % 5}-1{k % 9}T10:00:00Z",
            )
    # Two matches in A, one in B: matches_made A 2, B 1 -> both primary, no secondary.
    w.match("x1", "p1", "p4", "2026-02-01T10:00:00Z")
    w.match("x2", "p2", "p8", "2026-02-01T10:00:00Z")
    w.match("x3", "p7", "p9", "2026-02-01T10:00:00Z")
    for day in ("2026-02-02", "2026-02-09", "2026-03-30", "2026-04-01", "2026-04-02"):
        w.meet("x1", "p1", day, rating=4, again=True)
    w.meet("x3", "p7", "2026-02-02", rating=1, again=False)
    w.proposal("p3", "p5", "A", 0.3)
    return w, funders, as_of


def auc_and_stats() -> tuple[World, list, dt.date]:
    """AUC ties at 12 decimals, one-class cells, n = 1, sd = 0, Wilson at k = 0 and k = n."""
    as_of = d("2026-11-25")
    w = World()
    funders = [
        _funder("auc", ["Leipzig", "Dresden", "Chemnitz"], "2026-01-01", "2026-12-31"),
    ]
    scores = {
        # Leipzig: 2 sustained, 3 not; a tie that only exists after rounding.
        "a1": (0.375, True),
        "a2": (0.37500000000000006, False),
        "a3": (0.5, True),
        "a4": (0.2, False),
        "a5": (0.6, False),
        # Dresden: only sustained -> null AUC, n = 2.
        "b1": (0.4, True),
        "b2": (0.1, True),
        # Chemnitz: none sustained, n = 1.
        "c1": (0.3, False),
    }
    city = {"a": "Leipzig", "b": "Dresden", "c": "Chemnitz"}
    for mid, (s, sustained) in scores.items():
        c = city[mid[0]]
        n, loc = f"{mid}n", f"{mid}l"
        w.person(n, city=c, registered_at="2026-01-02T10:00:00Z")
        w.person(loc, city=c, group="local", registered_at="2026-01-02T10:00:00Z")
        w.match(mid, n, loc, "2026-02-01T10:00:00Z")
        w.score(mid, s)
        days = (0, 30, 60) if sustained else (0,)
        for k in days:
            w.meet(mid, n, d("2026-02-01") + k * DAY, rating=4, again=sustained)
    # Proposal scores: n = 1 (Dresden), sd = 0 (Leipzig)
    w.proposal("a1n", "a1l", "Leipzig", 0.4)
    w.proposal("a2n", "a2l", "Leipzig", 0.4)
    w.proposal("b1n", "b1l", "Dresden", 0.7)
    return w, funders, as_of


CASES = {"calendar": calendar, "suppression": suppression, "auc_and_stats": auc_and_stats}


def km_hand() -> tuple[World, list, dt.date]:
    """Durations 0E, 60C, 61E, 61C, 182E, 183E: S(182) = 5/6 * 3/4 * 1/2 = 0.3125."""
    as_of = d("2026-11-25")
    w = World()
    funders = [_funder("km", ["Leipzig"], "2025-01-01", "2026-12-31")]

    def pair(mid, d0, ended_at=None):
        w.person(f"{mid}n", registered_at="2025-06-01T10:00:00Z")
        w.person(f"{mid}l", group="local", registered_at="2025-06-01T10:00:00Z")
        w.match(mid, f"{mid}n", f"{mid}l", _iso(d0), ended_at)
        return mid

    pair("k0", d("2026-01-05"), ended_at="2026-01-20T10:00:00Z")  # ended, no meeting: 0
    pair("k60c", as_of - 60 * DAY)  # exactly 60 days of silence: censored at 60
    w.meet(
        pair("k61e", d("2026-02-01"), ended_at="2026-02-15T10:00:00Z"),
        "k61en",
        d("2026-02-01") + 61 * DAY,
    )  # ended_at set, meeting after it: event at 61
    w.meet(pair("k61c", as_of - 61 * DAY), "k61cl", as_of - 5 * DAY)  # censored at 61
    w.meet(pair("k182", d("2026-01-10")), "k182n", d("2026-01-10") + 182 * DAY)  # event at 182
    w.meet(pair("k183", d("2026-01-10")), "k183n", d("2026-01-10") + 183 * DAY)  # event at 183
    return w, funders, as_of


CASES["km_hand"] = km_hand
