"""Eligible (newcomer, local) pairs: rules 1-6 of MATCHING.md.

Pairs are only ever formed inside one city (rule 1). Within a city the rules are
tested block by block: a block of newcomers against all locals of the city gives
boolean matrices for rules 2-5 (bitset ANDs and code comparisons), the pairs that
pass are gathered, scored (:func:`matching_core.score.score_parts`) and kept when
``round(score, 12) >= min_score`` (rule 6). A block holds about 2**18 pairs, so
the temporaries stay cache-sized whatever the size of the city. The work is
``O(N_c * L_c)`` cheap vectorised operations per city (``N_c`` newcomers, ``L_c``
locals), and the memory ``O(E_c)`` for the ``E_c`` eligible pairs of the city; no
matrix ever spans a whole country.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from matching_core._profiles import (
    PARTICIPANT_COLUMNS,
    Bitset,
    FrameLike,
    Profiles,
    collect,
    encode,
    normalise,
    require_columns,
)
from matching_core.score import (
    DEFAULT_MIN_SCORE,
    Weights,
    parts_frame,
    score_parts,
    weighted_score,
)

#: Decimals kept before the ``min_score`` test (MATCHING.md, "Precise conventions").
ROUND_DECIMALS = 12
_BLOCK_PAIRS = 1 << 18
_GROUPS = ("newcomer", "local")


@dataclass(frozen=True)
class Population:
    """Waiting participants, sorted by id and encoded, with previous pairs.

    ``newcomers[c]`` / ``locals_[c]`` hold the (increasing) row numbers of city
    ``cities[c]``; ``previous[c]`` the previous pairs of that city as row numbers
    ``(newcomer rows, local rows)``.
    """

    frame: pl.DataFrame
    profiles: Profiles
    cities: list[str]
    newcomers: list[np.ndarray]
    locals_: list[np.ndarray]
    previous: list[tuple[np.ndarray, np.ndarray]]


def _check_min_score(min_score: float) -> float:
    if isinstance(min_score, bool) or not isinstance(min_score, int | float):
        raise TypeError(f"min_score must be a number, got {min_score!r}")
    if not np.isfinite(min_score):
        raise ValueError(f"min_score must be finite, got {min_score!r}")
    return float(min_score)


def prepare(participants: FrameLike, previous_matches: FrameLike | None) -> Population:
    """Validate, sort by ``participant_id``, encode and split the input by city.

    Raises
    ------
    ValueError
        Missing column, null or duplicated ``participant_id``, a ``group`` other
        than ``newcomer``/``local``, or a null ``city``.
    """
    frame = normalise(collect(participants, "participants"), PARTICIPANT_COLUMNS, "participants")
    frame = frame.sort("participant_id")
    bad_group = frame.filter(~pl.col("group").is_in(_GROUPS) | pl.col("group").is_null())
    if bad_group.height:
        shown = bad_group["group"].unique().to_list()
        raise ValueError(f"participants.group must be 'newcomer' or 'local', found {shown}")
    if frame["city"].null_count():
        raise ValueError(f"participants.city has {frame['city'].null_count()} null value(s)")

    rows = np.arange(frame.height)
    city = frame["city"].to_numpy()
    is_newcomer = (frame["group"] == "newcomer").to_numpy()
    cities = sorted(set(city.tolist()))
    city_code = {c: k for k, c in enumerate(cities)}
    code = np.fromiter((city_code[c] for c in city), dtype=np.int64, count=frame.height)
    newcomers = [rows[(code == k) & is_newcomer] for k in range(len(cities))]
    locals_ = [rows[(code == k) & ~is_newcomer] for k in range(len(cities))]

    # Rule 5: earlier pairs, in either orientation, as (newcomer row, local row).
    prev_n = np.zeros(0, dtype=np.int64)
    prev_l = np.zeros(0, dtype=np.int64)
    if previous_matches is not None:
        prev = collect(previous_matches, "previous_matches")
        require_columns(prev, ["newcomer_id", "local_id"], "previous_matches")
        ids = frame.select("participant_id").with_row_index("_row")
        ids_a = pl.col("newcomer_id").cast(pl.String)
        ids_b = pl.col("local_id").cast(pl.String)
        both = pl.concat(
            [
                prev.select(ids_a.alias("a"), ids_b.alias("b")),
                prev.select(ids_b.alias("a"), ids_a.alias("b")),
            ]
        )
        found = (
            both.join(ids.rename({"participant_id": "a", "_row": "ra"}), on="a")
            .join(ids.rename({"participant_id": "b", "_row": "rb"}), on="b")
            .select("ra", "rb")
        )
        ra = found["ra"].to_numpy().astype(np.int64)
        rb = found["rb"].to_numpy().astype(np.int64)
        keep = is_newcomer[ra] & ~is_newcomer[rb] & (code[ra] == code[rb])
        prev_n, prev_l = ra[keep], rb[keep]

    previous = []
    for k in range(len(cities)):
        in_city = code[prev_n] == k
        pn = np.searchsorted(newcomers[k], prev_n[in_city])
        pl_ = np.searchsorted(locals_[k], prev_l[in_city])
        order = np.lexsort((pl_, pn))
        previous.append((pn[order], pl_[order]))
    return Population(frame, encode(frame), cities, newcomers, locals_, previous)


def _any_and_2d(x: Bitset, y: Bitset) -> np.ndarray:
    """``out[i, j]`` is True when rows ``x[i]`` and ``y[j]`` share a bit."""
    hit = (x[0][:, None] & y[0][None, :]) != 0
    for wx, wy in zip(x[1:], y[1:], strict=True):
        hit |= (wx[:, None] & wy[None, :]) != 0
    return hit


def city_candidates(
    newcomers: Profiles,
    locals_: Profiles,
    previous: tuple[np.ndarray, np.ndarray],
    weights: Weights,
    min_score: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eligible pairs of one city (rules 2-6; rule 1 is the caller's split).

    Parameters
    ----------
    newcomers, locals_ : Profiles
        The city's newcomers and locals (encoded together).
    previous : (numpy.ndarray, numpy.ndarray)
        Rows ``(i, j)`` of pairs matched before, sorted by ``i``.
    weights, min_score
        Score weights and the rule-6 threshold.

    Returns
    -------
    (i, j, score) : numpy.ndarray
        Row in ``newcomers``, row in ``locals_`` (int32, sorted by ``(i, j)``) and
        the weighted score (float64) of every eligible pair.
    """
    n_new = newcomers.gender.shape[0]
    n_loc = locals_.gender.shape[0]
    empty = (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float64))
    if n_new == 0 or n_loc == 0:
        return empty
    prev_i, prev_j = previous
    # Rule 3: an unspecified gender (-1) never equals anyone's, not even another -1.
    local_gender = np.where(locals_.gender < 0, -2, locals_.gender)
    local_free_av = locals_.n_availability == 0
    rows_per_block = max(1, _BLOCK_PAIRS // n_loc)

    def block(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        stop = min(start + rows_per_block, n_new)
        sub = slice(start, stop)
        new_lang = tuple(w[sub] for w in newcomers.languages)
        ok = _any_and_2d(new_lang, locals_.languages)  # rule 2
        same = newcomers.same_gender[sub]
        if same.any() or locals_.same_gender.any():  # rule 3
            ok &= ~(same[:, None] | locals_.same_gender[None, :]) | (
                newcomers.gender[sub][:, None] == local_gender[None, :]
            )
        new_av = tuple(w[sub] for w in newcomers.availability)
        free = (newcomers.n_availability[sub] == 0)[:, None] | local_free_av[None, :]
        ok &= _any_and_2d(new_av, locals_.availability) | free  # rule 4
        lo, hi = np.searchsorted(prev_i, [start, stop])
        ok[prev_i[lo:hi] - start, prev_j[lo:hi]] = False  # rule 5
        i, j = np.nonzero(ok)
        i += start
        score = weighted_score(score_parts(newcomers, locals_, i, j), weights)
        keep = np.round(score, ROUND_DECIMALS) >= min_score  # rule 6
        return i[keep].astype(np.int32), j[keep].astype(np.int32), score[keep]

    parts = [block(start) for start in range(0, n_new, rows_per_block)]
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


def city_inputs(
    population: Population, k: int
) -> tuple[Profiles, Profiles, tuple[np.ndarray, np.ndarray]]:
    """City ``k``'s newcomer profiles, local profiles and previous pairs.

    Plain NumPy arrays, all that :func:`city_candidates` needs besides the weights,
    so that a city can be sent to another process without the Polars frame.
    """
    return (
        population.profiles.take(population.newcomers[k]),
        population.profiles.take(population.locals_[k]),
        population.previous[k],
    )


def each_city(
    population: Population, weights: Weights, min_score: float
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per city: its newcomer and local rows and the eligible pairs ``(i, j, score)`` among them."""
    for k in range(len(population.cities)):
        i, j, score = city_candidates(*city_inputs(population, k), weights, min_score)
        yield population.newcomers[k], population.locals_[k], i, j, score


def pairs_frame(
    population: Population,
    rows_new: np.ndarray,
    rows_loc: np.ndarray,
    weights: Weights,
) -> pl.DataFrame:
    """Output frame of pairs given as global rows, sorted by city and ids."""
    ids = population.frame["participant_id"]
    parts = score_parts(population.profiles, population.profiles, rows_new, rows_loc)
    out = pl.DataFrame(
        {
            "newcomer_id": ids.gather(rows_new),
            "local_id": ids.gather(rows_loc),
            "city": population.frame["city"].gather(rows_new),
        },
        schema={"newcomer_id": pl.String, "local_id": pl.String, "city": pl.String},
    ).hstack(parts_frame(parts, weights))
    return out.sort("city", "newcomer_id", "local_id")


def candidate_pairs(
    participants: FrameLike,
    previous_matches: FrameLike | None = None,
    *,
    weights: Weights | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
) -> pl.DataFrame:
    """Every eligible (newcomer, local) pair, per city (rules 1-6 of MATCHING.md).

    Parameters
    ----------
    participants : polars.DataFrame or LazyFrame
        Participants to pair, with the columns of ``core.participants`` (at least
        ``participant_id, group, city, district, birth_year, gender, languages,
        learning_languages, interests, availability, gender_preference``).
    previous_matches : polars.DataFrame or LazyFrame, optional
        Earlier matches (``newcomer_id, local_id``), ended or not: rule 5 (a pair
        listed the other way round counts too).
    weights : Weights, optional
        Defaults to ``Weights()``.
    min_score : float
        Rule 6: ``round(score, 12) >= min_score``.

    Returns
    -------
    polars.DataFrame
        ``newcomer_id, local_id, city, score, score_interests, score_language,
        score_availability, score_district, score_age``, sorted by ``city,
        newcomer_id, local_id``. Its size is up to ``sum_c N_c * L_c`` rows: meant for
        inspection and tests; :func:`matching_core.propose_matches` never builds it
        for all cities at once.
    """
    weights = Weights() if weights is None else weights
    min_score = _check_min_score(min_score)
    population = prepare(participants, previous_matches)
    rows_new, rows_loc = [], []
    for n_rows, l_rows, i, j, _ in each_city(population, weights, min_score):
        rows_new.append(n_rows[i])
        rows_loc.append(l_rows[j])
    return pairs_frame(
        population,
        np.concatenate(rows_new or [np.zeros(0, np.int64)]).astype(np.int64),
        np.concatenate(rows_loc or [np.zeros(0, np.int64)]).astype(np.int64),
        weights,
    )


__all__ = ["ROUND_DECIMALS", "candidate_pairs"]
