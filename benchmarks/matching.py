"""Benchmark of ``matching_core`` at national scale (not part of the test suite).

Run from the repository root::

    .venv/bin/python -m benchmarks.matching [--people 100000] [--seed 7] [--no-pandas]

It synthesises waiting participants over 20 cities (largest about 15% of all),
times :func:`matching_core.propose_matches` end to end and stage by stage, reports
peak memory and the number of eligible pairs, checks optimality on the
5,000-person city against a dense ``scipy.optimize.linear_sum_assignment``, and
times the "plain pandas way" (cross join, row-wise Python scoring) on one small
city to extrapolate.
"""

from __future__ import annotations

import argparse
import csv
import gc
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np
import polars as pl
from scipy.optimize import linear_sum_assignment

from matching_core import Weights, candidate_pairs, max_weight_matching, propose_matches
from matching_core.eligibility import city_candidates, prepare

INTERESTS_CSV = Path("/work/shared/spec/interests.csv")
_FALLBACK_INTERESTS = ["cooking", "football", "music_making", "reading", "hiking", "chess"]
# (city, share of all people); Stuttgart is the 5,000-person city of the optimum check.
CITY_SHARES = [
    ("Berlin", 0.15),
    ("Hamburg", 0.10),
    ("München", 0.085),
    ("Köln", 0.07),
    ("Frankfurt am Main", 0.06),
    ("Stuttgart", 0.05),
    ("Düsseldorf", 0.048),
    ("Leipzig", 0.045),
    ("Dortmund", 0.042),
    ("Essen", 0.04),
    ("Bremen", 0.036),
    ("Dresden", 0.035),
    ("Hannover", 0.034),
    ("Nürnberg", 0.033),
    ("Duisburg", 0.03),
    ("Bochum", 0.028),
    ("Wuppertal", 0.026),
    ("Bielefeld", 0.024),
    ("Bonn", 0.022),
    ("Münster", 0.022),
]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PARTS_OF_DAY = ["morning", "afternoon", "evening"]
SLOTS = [f"{d}_{p}" for d in DAYS for p in PARTS_OF_DAY]
NEWCOMER_TONGUES = {
    "ar": 0.25,
    "uk": 0.2,
    "fa": 0.1,
    "tr": 0.1,
    "ru": 0.08,
    "ti": 0.05,
    "ku": 0.05,
    "so": 0.03,
    "fr": 0.05,
    "es": 0.04,
    "en": 0.05,
}
LOCAL_EXTRA = {"en": 0.7, "fr": 0.15, "es": 0.12, "tr": 0.05, "ru": 0.05, "ar": 0.03, "it": 0.05}


def _interest_slugs() -> list[str]:
    if not INTERESTS_CSV.exists():
        return _FALLBACK_INTERESTS
    with INTERESTS_CSV.open(newline="", encoding="utf-8") as fh:
        return [row["slug"] for row in csv.DictReader(fh)]


def _pick(rng: np.random.Generator, vocab: list[str], weights: np.ndarray, k: np.ndarray):
    """For each row, ``k[row]`` distinct items of ``vocab`` drawn by ``weights``."""
    keys = rng.random((k.size, len(vocab))) ** (1.0 / weights)  # Efraimidis-Spirakis
    order = np.argsort(-keys, axis=1)
    names = np.asarray(vocab, dtype=object)
    return [names[order[r, : k[r]]].tolist() for r in range(k.size)]


def synthesise(n_people: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Waiting participants (``core.participants`` columns) and earlier matches."""
    rng = np.random.default_rng(seed)
    shares = np.array([s for _, s in CITY_SHARES])
    sizes = np.floor(shares / shares.sum() * n_people).astype(int)
    sizes[-1] += n_people - sizes.sum()
    city = np.repeat([c for c, _ in CITY_SHARES], sizes)
    newcomer = rng.random(n_people) < 0.55

    languages, learning = [], []
    tongues = list(NEWCOMER_TONGUES)
    tongue_p = np.array(list(NEWCOMER_TONGUES.values()))
    tongue = rng.choice(tongues, size=n_people, p=tongue_p / tongue_p.sum())
    u = rng.random((n_people, 8))
    extra = rng.random((n_people, len(LOCAL_EXTRA))) < np.array(list(LOCAL_EXTRA.values()))
    for r in range(n_people):
        if newcomer[r]:
            langs = {tongue[r]}
            if u[r, 0] < 0.4:
                langs.add("en")
            if u[r, 1] < 0.35:
                langs.add("de")
            learn = ["de"] if u[r, 2] < 0.85 else []
            if u[r, 3] < 0.15 and "en" not in langs:
                learn.append("en")
        else:
            langs = {"de"} if u[r, 0] < 0.97 else {"en"}
            langs.update(c for c, x in zip(LOCAL_EXTRA, extra[r], strict=True) if x)
            learn = [rng.choice(["es", "ar", "fr", "uk", "tr", "it"])] if u[r, 4] < 0.25 else []
        languages.append(sorted(langs))
        learning.append([x for x in learn if x not in langs])

    slugs = _interest_slugs()
    interest_w = 1.0 / np.arange(1, len(slugs) + 1) ** 0.7
    interests = _pick(rng, slugs, interest_w, rng.integers(1, 7, n_people))
    slot_w = np.array(
        [2.0 if s.endswith("evening") or s[:3] in ("sat", "sun") else 1.0 for s in SLOTS]
    )
    n_slots = np.where(rng.random(n_people) < 0.2, 0, rng.integers(2, 9, n_people))
    availability = _pick(rng, SLOTS, slot_w, n_slots)

    n_districts = {c: 8 + (i * 7) % 17 for i, (c, _) in enumerate(CITY_SHARES)}
    district_no = (rng.random(n_people) * np.array([n_districts[c] for c in city])).astype(int)
    district = [f"{c}-{d:02d}" for c, d in zip(city, district_no, strict=True)]
    district = [None if x < 0.1 else d for x, d in zip(rng.random(n_people), district, strict=True)]

    birth = np.where(
        newcomer,
        np.clip(rng.normal(1992, 9, n_people), 1960, 2008),
        np.clip(rng.normal(1980, 16, n_people), 1940, 2008),
    ).astype(int)
    gender = rng.choice(
        ["female", "male", "diverse", "unspecified"], n_people, p=[0.5, 0.42, 0.03, 0.05]
    )
    same = rng.random(n_people) < np.where(gender == "female", 0.3, 0.08)

    people = pl.DataFrame(
        {
            "participant_id": [f"P{r:07d}" for r in rng.permutation(n_people)],
            "registered_at": pl.datetime_range(
                pl.datetime(2024, 1, 1), pl.datetime(2025, 6, 1), "1m", eager=True, time_zone="UTC"
            ).head(n_people),
            "group": np.where(newcomer, "newcomer", "local"),
            "city": city,
            "district": district,
            "postcode": [None] * n_people,
            "birth_year": pl.Series(birth, dtype=pl.Int32),
            "gender": gender,
            "languages": languages,
            "learning_languages": pl.Series(learning, dtype=pl.List(pl.String)),
            "interests": interests,
            "availability": pl.Series(availability, dtype=pl.List(pl.String)),
            "gender_preference": np.where(same, "same", "any"),
            "arrival_year": pl.Series(np.where(newcomer, 2015 + (birth % 10), 0), dtype=pl.Int32),
            "consent_research": rng.random(n_people) < 0.8,
            "status": ["waiting"] * n_people,
        }
    ).with_columns(
        pl.when(pl.Series(rng.random(n_people) < 0.05))
        .then(None)
        .otherwise(pl.col("birth_year"))
        .alias("birth_year"),
        pl.when(pl.col("group") == "local")
        .then(None)
        .otherwise(pl.col("arrival_year"))
        .alias("arrival_year"),
    )
    # Earlier (ended) tandems of people now waiting again: 2% of the newcomers.
    news = people.filter(pl.col("group") == "newcomer").sample(fraction=0.02, seed=seed)
    locs = people.filter(pl.col("group") == "local").select("participant_id", "city")
    previous = (
        news.select("participant_id", "city")
        .join(locs, on="city", suffix="_l", maintain_order="left_right")
        .group_by("participant_id", maintain_order=True)
        .agg(pl.col("participant_id_l").first())
        .select(newcomer_id="participant_id", local_id="participant_id_l")
    )
    return people.sample(fraction=1.0, shuffle=True, seed=seed), previous


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def staged(people: pl.DataFrame, previous: pl.DataFrame) -> dict[str, float]:
    """``propose_matches`` stage by stage, to report where time goes."""
    weights = Weights()
    t0 = time.perf_counter()
    pop = prepare(people, previous)
    t1 = time.perf_counter()
    out: dict[str, float] = {"prepare_s": t1 - t0, "candidates_s": 0.0, "solve_s": 0.0}
    out.update(eligible_pairs=0, proposed=0, total_score=0.0)
    largest = max(range(len(pop.cities)), key=lambda k: pop.newcomers[k].size + pop.locals_[k].size)
    for k in range(len(pop.cities)):
        n_loc = pop.locals_[k].size
        a = time.perf_counter()
        i, j, s = city_candidates(
            pop.profiles.take(pop.newcomers[k]),
            pop.profiles.take(pop.locals_[k]),
            pop.previous[k],
            weights,
            0.2,
        )
        b = time.perf_counter()
        si, sj = max_weight_matching(i, j, s, (pop.newcomers[k].size, n_loc))
        c = time.perf_counter()
        pos = np.searchsorted(i.astype(np.int64) * n_loc + j, si * n_loc + sj)
        out["total_score"] += float(s[pos].sum())
        out["proposed"] += si.size
        out["eligible_pairs"] += i.size
        out["candidates_s"] += b - a
        out["solve_s"] += c - b
        if k == largest:
            out.update(
                largest_city=pop.cities[k],
                largest_n=pop.newcomers[k].size,
                largest_l=n_loc,
                largest_pairs=i.size,
                largest_candidates_s=b - a,
                largest_solve_s=c - b,
            )
    return out


def dense_check(people: pl.DataFrame, previous: pl.DataFrame, city: str) -> dict[str, float]:
    """Our total score vs dense ``linear_sum_assignment`` on one city."""
    sub = people.filter(pl.col("city") == city)
    t0 = time.perf_counter()
    ours = propose_matches(sub, previous)
    t1 = time.perf_counter()
    cand = candidate_pairs(sub, previous)
    news = sub.filter(pl.col("group") == "newcomer")["participant_id"].sort()
    locs = sub.filter(pl.col("group") == "local")["participant_id"].sort()
    ri = cand.join(
        news.to_frame().with_row_index("i"), left_on="newcomer_id", right_on="participant_id"
    )
    ri = ri.join(locs.to_frame().with_row_index("j"), left_on="local_id", right_on="participant_id")
    dense = np.zeros((news.len(), locs.len()))
    dense[ri["i"].to_numpy(), ri["j"].to_numpy()] = ri["score"].to_numpy()
    eligible = np.zeros(dense.shape, dtype=bool)
    eligible[ri["i"].to_numpy(), ri["j"].to_numpy()] = True
    t2 = time.perf_counter()
    r, c = linear_sum_assignment(dense, maximize=True)
    t3 = time.perf_counter()
    dense_total = float(dense[r, c][eligible[r, c]].sum())
    ours_total = float(ours["score"].sum())
    return {
        "people": sub.height,
        "newcomers": news.len(),
        "locals": locs.len(),
        "eligible_pairs": cand.height,
        "ours_total": ours_total,
        "dense_total": dense_total,
        "abs_diff": abs(ours_total - dense_total),
        "ours_s": t1 - t0,
        "dense_lsa_s": t3 - t2,
    }


def pandas_way(people: pl.DataFrame, city: str, size: int = 1000) -> dict[str, float] | None:
    """Cross join in pandas and score each row with Python sets (eligibility rules 1-4, 6)."""
    try:
        import pandas as pd
    except ImportError:
        return None
    sub = people.filter(pl.col("city") == city).sort("participant_id").head(size).to_pandas()
    news = sub[sub["group"] == "newcomer"].add_suffix("_n")
    locs = sub[sub["group"] == "local"].add_suffix("_l")
    t0 = time.perf_counter()
    pairs = news.merge(locs, how="cross")

    def row_score(r: pd.Series) -> float:
        ln, ll = set(r["languages_n"]), set(r["languages_l"])
        if not ln & ll:
            return -1.0
        if "same" in (r["gender_preference_n"], r["gender_preference_l"]) and (
            r["gender_n"] != r["gender_l"] or r["gender_n"] == "unspecified"
        ):
            return -1.0
        an, al = set(r["availability_n"]), set(r["availability_l"])
        if an and al and not an & al:
            return -1.0
        i_n, i_l = set(r["interests_n"]), set(r["interests_l"])
        jac = len(i_n & i_l) / len(i_n | i_l)
        lang = (
            (bool(set(r["learning_languages_n"]) & ll)) + bool(set(r["learning_languages_l"]) & ln)
        ) / 2
        av = len(an & al) / min(len(an), len(al)) if an and al else 0.5
        dist = float(r["district_n"] is not None and r["district_n"] == r["district_l"])
        yn, yl = r["birth_year_n"], r["birth_year_l"]
        age = 0.5 if pd.isna(yn) or pd.isna(yl) else 1 - min(abs(yn - yl), 40) / 40
        return 0.4 * jac + 0.25 * lang + 0.15 * av + 0.1 * dist + 0.1 * age

    scores = pairs.apply(row_score, axis=1)
    eligible = int((scores.round(12) >= 0.2).sum())
    t1 = time.perf_counter()
    return {"people": sub.shape[0], "pairs": len(pairs), "eligible": eligible, "seconds": t1 - t0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-pandas", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    people, previous = synthesise(args.people, args.seed)
    sizes = people.group_by("city").len().sort("len", descending=True)
    print(
        f"synthesised {people.height:,} waiting people in {sizes.height} cities "
        f"(largest {sizes['len'][0]:,}, smallest {sizes['len'][-1]:,}), "
        f"{previous.height:,} earlier matches, in {time.perf_counter() - t0:.1f} s"
    )
    gc.collect()
    rss_before = _rss_mib()

    t0, c0 = time.perf_counter(), time.process_time()
    proposals = propose_matches(people, previous)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_after = _rss_mib()
    print(
        f"propose_matches: {elapsed:.1f} s wall ({cpu:.1f} s CPU), {proposals.height:,} proposals, "
        f"total score {proposals['score'].sum():.6f}, mean {proposals['score'].mean():.4f}"
    )
    print(f"peak RSS {rss_after:,.0f} MiB (before the call {rss_before:,.0f} MiB)")

    stages = staged(people, previous)
    print(
        f"stages: prepare {stages['prepare_s']:.1f} s, candidates {stages['candidates_s']:.1f} s, "
        f"solve {stages['solve_s']:.1f} s; {stages['eligible_pairs']:,} eligible pairs "
        f"(= {stages['eligible_pairs'] * 16 / 2**20:,.0f} MiB as i, j, score, never all at once)"
    )
    print(
        f"largest city {stages['largest_city']} ({stages['largest_n']:,} newcomers x "
        f"{stages['largest_l']:,} locals, {stages['largest_pairs']:,} eligible pairs): candidates "
        f"{stages['largest_candidates_s']:.1f} s, solve {stages['largest_solve_s']:.1f} s"
    )
    assert abs(stages["total_score"] - proposals["score"].sum()) < 1e-9
    gc.collect()
    tracemalloc.start()
    propose_matches(people, previous)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak traced (NumPy/Python) allocations during propose_matches: {peak / 2**20:,.0f} MiB")

    city = "Stuttgart"
    check = dense_check(people, previous, city)
    print(
        f"optimum check on {city} ({check['people']:,} people: {check['newcomers']:,} x "
        f"{check['locals']:,}, {check['eligible_pairs']:,} eligible pairs): ours "
        f"{check['ours_total']:.9f} in {check['ours_s']:.2f} s, dense linear_sum_assignment "
        f"{check['dense_total']:.9f} in {check['dense_lsa_s']:.2f} s, |diff| {check['abs_diff']:.2e}"
    )
    if check["abs_diff"] > 1e-9:
        raise SystemExit("optimum check FAILED")

    if not args.no_pandas:
        small = sizes["city"][-1]
        res = pandas_way(people, small)
        if res is not None:
            rate = res["pairs"] / res["seconds"]
            n_c = (
                people.group_by("city", "group").len().pivot(on="group", index="city", values="len")
            )
            all_pairs = float((n_c["newcomer"] * n_c["local"]).sum())
            print(
                f"plain pandas (cross join + row-wise apply, scoring only, no solver) on {small} "
                f"({res['people']:,} people, {res['pairs']:,} pairs): {res['seconds']:.1f} s, "
                f"{rate:,.0f} pairs/s -> about {all_pairs / rate / 60:,.0f} min for the "
                f"{all_pairs:,.0f} same-city pairs of the full run"
            )


if __name__ == "__main__":
    main()
