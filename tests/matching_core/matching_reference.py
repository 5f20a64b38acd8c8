"""Plain-Python reference for MATCHING.md, written from the spec, one pair at a time.

Independent of ``matching_core``'s bitsets and blocks: it works on dict rows with
Python sets, and finds optima by brute force. Only for small test instances.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import polars as pl

WEIGHTS = (0.40, 0.25, 0.15, 0.10, 0.10)
PART_NAMES = ("interests", "language", "availability", "district", "age")


def _set(values: Iterable[str | None] | None) -> set[str]:
    return {v for v in (values or []) if v is not None}


def parts(n: Mapping[str, Any], loc: Mapping[str, Any]) -> tuple[float, ...]:
    """The five parts of MATCHING.md's score table."""
    i_n, i_l = _set(n["interests"]), _set(loc["interests"])
    interests = len(i_n & i_l) / len(i_n | i_l) if i_n | i_l else 0.0
    a = 1 if _set(n["learning_languages"]) & _set(loc["languages"]) else 0
    b = 1 if _set(loc["learning_languages"]) & _set(n["languages"]) else 0
    language = (a + b) / 2
    av_n, av_l = _set(n["availability"]), _set(loc["availability"])
    availability = len(av_n & av_l) / min(len(av_n), len(av_l)) if av_n and av_l else 0.5
    d_n, d_l = n["district"], loc["district"]
    district = 1.0 if d_n is not None and d_l is not None and d_n == d_l else 0.0
    y_n, y_l = n["birth_year"], loc["birth_year"]
    age = 0.5 if y_n is None or y_l is None else 1 - min(abs(y_n - y_l), 40) / 40
    return (interests, language, availability, district, age)


def score(n: Mapping[str, Any], loc: Mapping[str, Any], weights=WEIGHTS) -> float:
    p = parts(n, loc)
    return (
        weights[0] * p[0]
        + weights[1] * p[1]
        + weights[2] * p[2]
        + weights[3] * p[3]
        + weights[4] * p[4]
    )


def eligible(
    n: Mapping[str, Any],
    loc: Mapping[str, Any],
    previous: set[tuple[str, str]],
    weights=WEIGHTS,
    min_score: float = 0.2,
) -> bool:
    """Rules 1-6 of MATCHING.md, literally."""
    if n["city"] != loc["city"]:
        return False
    if not _set(n["languages"]) & _set(loc["languages"]):
        return False
    if "same" in (n["gender_preference"], loc["gender_preference"]):
        g_n = n["gender"] or "unspecified"
        g_l = loc["gender"] or "unspecified"
        if g_n != g_l or g_n == "unspecified":
            return False
    av_n, av_l = _set(n["availability"]), _set(loc["availability"])
    if av_n and av_l and not av_n & av_l:
        return False
    if (n["participant_id"], loc["participant_id"]) in previous:
        return False
    return round(score(n, loc, weights), 12) >= min_score


def eligible_pairs(
    people: pl.DataFrame,
    previous: pl.DataFrame | None = None,
    weights=WEIGHTS,
    min_score: float = 0.2,
) -> dict[tuple[str, str], float]:
    """Every eligible (newcomer_id, local_id) with its score."""
    rows = people.to_dicts()
    prev = set()
    if previous is not None:
        prev = set(zip(previous["newcomer_id"], previous["local_id"], strict=True))
    news = [r for r in rows if r["group"] == "newcomer"]
    locs = [r for r in rows if r["group"] == "local"]
    return {
        (n["participant_id"], loc["participant_id"]): score(n, loc, weights)
        for n in news
        for loc in locs
        if eligible(n, loc, prev, weights, min_score)
    }


def brute_force_optimum(edges: Mapping[tuple[str, str], float]) -> float:
    """Maximum total weight of a matching, by exhaustive search (tiny graphs only)."""
    news = sorted({a for a, _ in edges})
    locs = sorted({b for _, b in edges})
    index = {b: k for k, b in enumerate(locs)}
    options = [[(index[b], w) for (a, b), w in edges.items() if a == n] for n in news]

    @cache
    def best(k: int, used: int) -> float:
        if k == len(news):
            return 0.0
        value = best(k + 1, used)  # newcomer k stays unmatched
        for j, w in options[k]:
            if not used >> j & 1:
                value = max(value, w + best(k + 1, used | 1 << j))
        return value

    return best(0, 0)


# --- building test frames -------------------------------------------------------

SCHEMA = {
    "participant_id": pl.String,
    "group": pl.String,
    "city": pl.String,
    "district": pl.String,
    "birth_year": pl.Int32,
    "gender": pl.String,
    "languages": pl.List(pl.String),
    "learning_languages": pl.List(pl.String),
    "interests": pl.List(pl.String),
    "availability": pl.List(pl.String),
    "gender_preference": pl.String,
    "status": pl.String,
}


def person(participant_id: str, group: str = "newcomer", **fields: Any) -> dict[str, Any]:
    """A participant row with neutral defaults: two defaults score 0.525 together."""
    row: dict[str, Any] = {
        "participant_id": participant_id,
        "group": group,
        "city": "Berlin",
        "district": None,
        "birth_year": None,
        "gender": "female",
        "languages": ["de"],
        "learning_languages": [],
        "interests": ["chess", "cooking"],
        "availability": [],
        "gender_preference": "any",
        "status": "waiting",
    }
    unknown = set(fields) - set(row)
    if unknown:
        raise KeyError(unknown)
    row.update(fields)
    return row


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows as a frame with the dtypes of core.participants."""
    return pl.DataFrame(rows, schema=SCHEMA)


def pairs(*ids: tuple[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"newcomer_id": [a for a, _ in ids], "local_id": [b for _, b in ids]},
        schema={"newcomer_id": pl.String, "local_id": pl.String},
    )
