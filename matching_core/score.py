"""Pair score of MATCHING.md, vectorised over many (newcomer, local) pairs.

The score of a pair is the weighted sum of five parts, each in [0, 1]:

.. math::

    s(n, l) = w_I \\frac{|I_n \\cap I_l|}{|I_n \\cup I_l|}
            + w_L \\frac{a + b}{2}
            + w_A \\frac{|A_n \\cap A_l|}{\\min(|A_n|, |A_l|)}
            + w_D [d_n = d_l]
            + w_G \\left(1 - \\frac{\\min(|y_n - y_l|, 40)}{40}\\right)

with ``a = [learning(n) ∩ languages(l) ≠ ∅]``, ``b`` likewise with the roles swapped;
availability is 0.5 unless both list slots, age is 0.5 unless both birth years are
known, district is 0 unless both are known. Sets are bitsets (see ``_profiles``), so
every part is a handful of NumPy operations over arrays of pairs; no Python loop runs
over people. The parts are summed in the order above, in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np
import polars as pl

from matching_core._profiles import (
    SCORE_COLUMNS,
    Bitset,
    FrameLike,
    Profiles,
    collect,
    encode,
    normalise,
    require_columns,
)

#: Default ``min_score`` of eligibility rule 6.
DEFAULT_MIN_SCORE = 0.2
#: Output columns, in order: the weighted score then each part before weighting.
SCORE_COLUMNS_OUT: tuple[str, ...] = (
    "score",
    "score_interests",
    "score_language",
    "score_availability",
    "score_district",
    "score_age",
)
_AGE_CAP = 40


@dataclass(frozen=True)
class Weights:
    """Weights of the five score parts (defaults of MATCHING.md).

    Parameters
    ----------
    interests, language, availability, district, age : float
        Finite, non-negative. They need not sum to 1; the score then ranges over
        ``[0, sum of weights]``.

    Raises
    ------
    ValueError
        If a weight is negative, NaN or infinite.
    """

    interests: float = 0.40
    language: float = 0.25
    availability: float = 0.15
    district: float = 0.10
    age: float = 0.10

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"weight {f.name} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"weight {f.name} must be finite and >= 0, got {value!r}")

    @property
    def total(self) -> float:
        """Largest possible score (all parts equal to 1)."""
        return self.interests + self.language + self.availability + self.district + self.age


class Parts(NamedTuple):
    """The five score parts of a batch of pairs, each a float64 array."""

    interests: np.ndarray
    language: np.ndarray
    availability: np.ndarray
    district: np.ndarray
    age: np.ndarray


def _and_count(x: Bitset, y: Bitset, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    total = np.bitwise_count(x[0][ix] & y[0][iy]).astype(np.int16)
    for wx, wy in zip(x[1:], y[1:], strict=True):
        total += np.bitwise_count(wx[ix] & wy[iy])
    return total


def _and_any(x: Bitset, y: Bitset, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    hit = (x[0][ix] & y[0][iy]) != 0
    for wx, wy in zip(x[1:], y[1:], strict=True):
        hit |= (wx[ix] & wy[iy]) != 0
    return hit


def score_parts(a: Profiles, b: Profiles, ia: np.ndarray, ib: np.ndarray) -> Parts:
    """Score parts of the pairs ``(a[ia[k]], b[ib[k]])``; symmetric in the two sides.

    Parameters
    ----------
    a, b : Profiles
        Encoded profiles sharing their vocabularies (encoded from one frame).
    ia, ib : numpy.ndarray
        Integer row indices of equal length.

    Returns
    -------
    Parts
        Float64 arrays of length ``len(ia)``.
    """
    inter = _and_count(a.interests, b.interests, ia, ib)
    union = a.n_interests[ia] + b.n_interests[ib] - inter
    interests = np.zeros(inter.shape, dtype=np.float64)
    np.divide(inter, union, out=interests, where=union > 0)

    learn_a = _and_any(a.learning_languages, b.languages, ia, ib)
    learn_b = _and_any(b.learning_languages, a.languages, ib, ia)
    language = (learn_a.astype(np.float64) + learn_b) / 2

    n_a = a.n_availability[ia]
    n_b = b.n_availability[ib]
    both = (n_a > 0) & (n_b > 0)
    shared = _and_count(a.availability, b.availability, ia, ib)
    availability = np.full(inter.shape, 0.5)
    np.divide(shared, np.minimum(n_a, n_b), out=availability, where=both)

    d_a = a.district[ia]
    district = ((d_a == b.district[ib]) & (d_a >= 0)).astype(np.float64)

    gap = np.minimum(np.abs(a.birth_year[ia] - b.birth_year[ib]), _AGE_CAP)
    age = np.where(a.birth_known[ia] & b.birth_known[ib], 1 - gap / _AGE_CAP, 0.5)
    return Parts(interests, language, availability, district, age)


def weighted_score(parts: Parts, weights: Weights) -> np.ndarray:
    """Weighted sum of the parts, in the order of MATCHING.md's table."""
    return (
        weights.interests * parts.interests
        + weights.language * parts.language
        + weights.availability * parts.availability
        + weights.district * parts.district
        + weights.age * parts.age
    )


def parts_frame(parts: Parts, weights: Weights) -> pl.DataFrame:
    """The six output columns (:data:`SCORE_COLUMNS_OUT`) as a frame."""
    return pl.DataFrame(
        {
            "score": weighted_score(parts, weights),
            "score_interests": parts.interests,
            "score_language": parts.language,
            "score_availability": parts.availability,
            "score_district": parts.district,
            "score_age": parts.age,
        },
        schema=dict.fromkeys(SCORE_COLUMNS_OUT, pl.Float64),
    )


def _row_index(pairs: pl.DataFrame, column: str, ids: pl.DataFrame, what: str) -> np.ndarray:
    """Row of ``ids`` holding each ``pairs[column]``; ``ValueError`` if one is missing."""
    looked_up = pairs.select(pl.col(column).cast(pl.String).alias("participant_id")).join(
        ids, on="participant_id", how="left", maintain_order="left"
    )
    missing = looked_up.filter(pl.col("_row").is_null())["participant_id"]
    if missing.len():
        shown = missing.unique(maintain_order=True).head(5).to_list()
        raise ValueError(f"{missing.len()} pair(s) have a {column} not found in {what}: {shown}")
    return looked_up["_row"].to_numpy()


def score_pairs(
    pairs: FrameLike,
    profiles: FrameLike,
    local_profiles: FrameLike | None = None,
    *,
    weights: Weights | None = None,
) -> pl.DataFrame:
    """Score arbitrary (newcomer, local) pairs, without any eligibility rule.

    This is the score of MATCHING.md as used for ``score_auc_sustained``
    (METRICS.md): existing matches scored on the registration profiles.

    Parameters
    ----------
    pairs : polars.DataFrame or LazyFrame
        Columns ``newcomer_id`` and ``local_id`` (other columns are kept).
    profiles : polars.DataFrame or LazyFrame
        Profiles with the columns of ``core.participants`` needed for the score
        (``participant_id, district, birth_year, languages, learning_languages,
        interests, availability``), one row per ``participant_id``. Newcomers are
        looked up here, and locals too unless ``local_profiles`` is given.
    local_profiles : polars.DataFrame or LazyFrame, optional
        Separate profile table for ``local_id``.
    weights : Weights, optional
        Defaults to ``Weights()``.

    Returns
    -------
    polars.DataFrame
        ``pairs`` in its row order, with the Float64 columns ``score``,
        ``score_interests``, ``score_language``, ``score_availability``,
        ``score_district`` and ``score_age`` (parts before weighting) added or
        replaced.

    Raises
    ------
    ValueError
        If a column is missing, an id is null or duplicated in a profile table,
        or a pair names an id that has no profile.

    Examples
    --------
    >>> people = pl.DataFrame({
    ...     "participant_id": ["n1", "l1"], "district": ["Mitte", "Mitte"],
    ...     "birth_year": [1990, 1990], "languages": [["en"], ["de", "en"]],
    ...     "learning_languages": [["de"], []], "interests": [["chess"], ["chess"]],
    ...     "availability": [["mon_evening"], ["mon_evening"]]})
    >>> pairs = pl.DataFrame({"newcomer_id": ["n1"], "local_id": ["l1"]})
    >>> score_pairs(pairs, people)["score"].round(6).to_list()
    [0.875]
    """
    weights = Weights() if weights is None else weights
    pairs_df = collect(pairs, "pairs")
    require_columns(pairs_df, ["newcomer_id", "local_id"], "pairs")
    first = normalise(collect(profiles, "profiles"), SCORE_COLUMNS, "profiles")
    if local_profiles is None:
        table = first
        local_offset = 0
        local_ids = first
    else:
        second = normalise(collect(local_profiles, "local_profiles"), SCORE_COLUMNS, "local")
        table = pl.concat([first, second])
        local_offset = first.height
        local_ids = second
    newcomer_ids = first.select("participant_id").with_row_index("_row")
    local_ids = local_ids.select("participant_id").with_row_index("_row")
    ia = _row_index(pairs_df, "newcomer_id", newcomer_ids, "profiles")
    ib = _row_index(pairs_df, "local_id", local_ids, "local profiles") + local_offset
    enc = encode(table)
    scores = parts_frame(score_parts(enc, enc, ia, ib), weights)
    return pairs_df.drop([c for c in SCORE_COLUMNS_OUT if c in pairs_df.columns]).hstack(scores)
