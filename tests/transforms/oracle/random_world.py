"""Random small worlds concentrated on the boundaries METRICS.md cares about.

Instants fall near Berlin midnight (UTC 21:00-00:59) and around the DST changes;
meetings fall on d0 + {0, 28, 29, 41, 42, 43, 89, 90, 91, ...}; silences of 60/61 days;
few cities so cells are small and suppression has work.
"""

from __future__ import annotations

import datetime as dt
import random

from oracle.frames import World, ts
from oracle.metrics import bdate

CITIES = ("Leipzig", "Dresden", "Chemnitz", "Görlitz")
INTERESTS = ("cooking", "football", "hiking", "chess", "music_making", "reading")
LANGS = ("de", "en", "ar", "uk", "fa")
SLOTS = ("mon_evening", "tue_morning", "sat_morning", "sun_afternoon")
OFFSETS = (0, 1, 13, 27, 28, 29, 41, 42, 43, 60, 61, 88, 89, 90, 91, 120, 181, 182, 183, 200)


def _instant(rng: random.Random, day: dt.date) -> str:
    hour = rng.choice((0, 5, 11, 21, 22, 22, 23, 23))
    minute = rng.choice((0, 29, 30, 59))
    t = dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)
    return t.isoformat().replace("+00:00", "Z")


def _day(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    special = [
        dt.date(2026, 3, 28),
        dt.date(2026, 3, 29),
        dt.date(2025, 10, 25),
        dt.date(2025, 10, 26),
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 1),
        dt.date(2026, 6, 30),
        dt.date(2026, 7, 1),
    ]
    cands = [s for s in special if lo <= s <= hi]
    if cands and rng.random() < 0.25:
        return rng.choice(cands)
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


def random_world(seed: int) -> tuple[World, list, dt.date]:
    from transforms import Funder

    rng = random.Random(seed)
    as_of = rng.choice([dt.date(2026, 11, 25), dt.date(2026, 7, 1), dt.date(2026, 3, 31)])
    start = dt.date(2025, 6, 1)
    w = World()
    people: list[dict] = []
    n_people = rng.randrange(12, 60)
    for i in range(n_people):
        group = "newcomer" if i % 2 == 0 else "local"
        reg = _day(rng, start, as_of - dt.timedelta(days=1))
        pid = w.person(
            f"p{i}",
            city=rng.choice(CITIES[: rng.choice((2, 3, 4))]),
            group=group,
            registered_at=_instant(rng, reg),
            birth_year=rng.choice((None, 1966, 1967, 1986, 1987, 2001, 2002, 1990)),
            gender=rng.choice(("female", "male", "diverse", "unspecified")),
            consent=rng.random() < 0.8,
            status=rng.choice(("waiting", "waiting", "matched", "paused", "left")),
            district=rng.choice((None, "Mitte", "Süd")),
            interests=rng.sample(INTERESTS, rng.randrange(1, 4)),
            languages=rng.sample(LANGS, rng.randrange(1, 3)),
            learning=rng.sample(LANGS, rng.randrange(0, 2)),
            availability=rng.sample(SLOTS, rng.randrange(0, 3)),
        )
        people.append({"id": pid, "group": group, "reg": reg})
    newcomers = [p for p in people if p["group"] == "newcomer"]
    locals_ = [p for p in people if p["group"] == "local"]
    n_matches = rng.randrange(0, 2 * len(newcomers) + 1)
    for j in range(n_matches):
        nc, lc = rng.choice(newcomers), rng.choice(locals_)
        lo = max(nc["reg"], lc["reg"]) + dt.timedelta(days=1)
        if lo >= as_of:
            continue
        if rng.random() < 0.3:
            d0 = lo + dt.timedelta(days=rng.choice((0, 29, 30, 31)))
            d0 = min(d0, as_of - dt.timedelta(days=1))
        else:
            d0 = _day(rng, lo, as_of - dt.timedelta(days=1))
        ended = None
        if rng.random() < 0.3:
            ended = _instant(rng, d0 + dt.timedelta(days=rng.randrange(0, 300)))
        at = _instant(rng, d0)
        mid = w.match(f"m{j}", nc["id"], lc["id"], at, ended)
        d0 = bdate(ts(at))  # meetings are never before the Berlin date of matched_at
        offsets = [rng.choice(OFFSETS) for _ in range(rng.randrange(0, 6))]
        if rng.random() < 0.35:  # a pattern near the sustained thresholds
            offsets += [rng.choice((0, 1)), rng.choice((14, 20)), rng.choice((41, 42, 43, 90, 91))]
        for off in offsets:
            day = d0 + dt.timedelta(days=off)
            if day > as_of:
                continue
            writer = rng.choice((nc["id"], lc["id"]))
            w.meet(
                mid,
                writer,
                day,
                attended=rng.random() < 0.85,
                rating=rng.choice((None, 1, 3, 4, 5)),
                again=rng.choice((None, True, False)),
            )
    for _k in range(rng.randrange(0, 3 * n_people)):
        p = rng.choice(people)
        day = _day(rng, p["reg"], as_of)
        w.event(
            p["id"],
            f"e{rng.randrange(8)}",
            day,
            attended=rng.random() < 0.8,
            rating=rng.choice((None, 2, 4, 5)),
            contacts=rng.choice((None, 0, 1, 3)),
            again=rng.choice((None, True)),
        )
    for p in people:
        if rng.random() < 0.7:
            base = _day(rng, p["reg"], as_of)
            w.survey(p["id"], "baseline", _instant(rng, base), **_answers(rng))
            for wave in ("followup_3m", "followup_12m"):
                if rng.random() < 0.6:
                    fd = base + dt.timedelta(days=rng.randrange(30, 400))
                    w.survey(p["id"], wave, _instant(rng, fd), **_answers(rng))
    for p in rng.sample(people, min(len(people), rng.randrange(0, 8))):
        partner = rng.choice(people)
        w.proposal(
            p["id"] if p["group"] == "newcomer" else partner["id"],
            partner["id"] if p["group"] == "newcomer" else p["id"],
            rng.choice(CITIES),
            rng.choice((0.2, 0.375, 0.37500000000000006, 0.5, 0.8)),
        )
    funders = []
    for f in range(rng.randrange(1, 4)):
        cities = rng.sample((*CITIES, "Atlantis"), rng.randrange(1, 4))
        a = _day(rng, start, as_of + dt.timedelta(days=30))
        b = a + dt.timedelta(days=rng.choice((0, 1, 30, 120, 365, 700)))
        funders.append(Funder(f"f{f}", f"F{f}", tuple(cities), a, b))
    return w, funders, as_of


def _answers(rng: random.Random) -> dict:
    def maybe(v):
        return None if rng.random() < 0.15 else v

    return {
        "belonging": maybe(rng.randrange(1, 6)),
        "trust_people": maybe(rng.randrange(1, 6)),
        "outgroup_contact": maybe(rng.randrange(0, 5)),
        "outgroup_attitude": maybe(rng.randrange(0, 101)),
        "lonely_1": maybe(rng.randrange(1, 4)),
        "lonely_2": maybe(rng.randrange(1, 4)),
        "lonely_3": maybe(rng.randrange(1, 4)),
        "diversity_acceptance": maybe(rng.randrange(1, 6)),
    }
