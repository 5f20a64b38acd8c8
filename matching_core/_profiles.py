"""Encode participant profiles as NumPy arrays for vectorised pair work.

Set-valued columns (languages, interests, availability) become bitsets: one
``uint64`` array per 64 distinct values, so that set intersection is a bitwise
AND and set size a popcount. Categorical columns become small integer codes with
``-1`` for "unknown". Nothing here knows about pairs; :mod:`matching_core.score`
and :mod:`matching_core.eligibility` combine two encoded sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

FrameLike = pl.DataFrame | pl.LazyFrame

#: Columns needed to score a pair (MATCHING.md, "Score").
SCORE_COLUMNS: tuple[str, ...] = (
    "participant_id",
    "district",
    "birth_year",
    "languages",
    "learning_languages",
    "interests",
    "availability",
)
#: Columns needed to decide eligibility (MATCHING.md, "Who may be paired").
PARTICIPANT_COLUMNS: tuple[str, ...] = (
    *SCORE_COLUMNS,
    "group",
    "city",
    "gender",
    "gender_preference",
)
_LIST_COLUMNS = ("languages", "learning_languages", "interests", "availability")
_STRING_COLUMNS = ("participant_id", "group", "city", "district", "gender", "gender_preference")

Bitset = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Profiles:
    """Column arrays of ``n`` encoded profiles (row ``k`` is one person).

    Bitsets are tuples of ``uint64`` arrays (one per 64-value word); the
    vocabularies are shared by every row, so two rows compare bit for bit.
    """

    languages: Bitset
    learning_languages: Bitset
    interests: Bitset
    n_interests: np.ndarray
    availability: Bitset
    n_availability: np.ndarray
    district: np.ndarray
    birth_year: np.ndarray
    birth_known: np.ndarray
    gender: np.ndarray
    same_gender: np.ndarray

    def take(self, idx: np.ndarray) -> Profiles:
        """Return the profiles of rows ``idx`` (in that order)."""

        def sub(bits: Bitset) -> Bitset:
            return tuple(word[idx] for word in bits)

        return Profiles(
            languages=sub(self.languages),
            learning_languages=sub(self.learning_languages),
            interests=sub(self.interests),
            n_interests=self.n_interests[idx],
            availability=sub(self.availability),
            n_availability=self.n_availability[idx],
            district=self.district[idx],
            birth_year=self.birth_year[idx],
            birth_known=self.birth_known[idx],
            gender=self.gender[idx],
            same_gender=self.same_gender[idx],
        )


def collect(frame: FrameLike, name: str) -> pl.DataFrame:
    """Collect a LazyFrame; reject anything that is not a Polars frame."""
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if isinstance(frame, pl.DataFrame):
        return frame
    raise TypeError(f"{name} must be a polars DataFrame or LazyFrame, got {type(frame).__name__}")


def require_columns(frame: pl.DataFrame, columns: Sequence[str], name: str) -> None:
    """Raise ``ValueError`` naming every missing column."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}; it has {frame.columns}")


def normalise(frame: pl.DataFrame, columns: Sequence[str], name: str) -> pl.DataFrame:
    """Select ``columns`` with canonical dtypes; check that ids are unique and non-null.

    Lists become ``List(String)`` (a null list stays null and counts as empty),
    ``birth_year`` becomes ``Int64``.
    """
    require_columns(frame, columns, name)
    exprs = []
    for c in columns:
        if c in _LIST_COLUMNS:
            exprs.append(pl.col(c).cast(pl.List(pl.String)))
        elif c in _STRING_COLUMNS:
            exprs.append(pl.col(c).cast(pl.String))
        elif c == "birth_year":
            exprs.append(pl.col(c).cast(pl.Int64))
        else:  # pragma: no cover - every column is listed above
            exprs.append(pl.col(c))
    out = frame.select(exprs)
    ids = out["participant_id"]
    if ids.null_count():
        raise ValueError(f"{name}.participant_id has {ids.null_count()} null value(s)")
    if ids.n_unique() != out.height:
        dup = ids.filter(ids.is_duplicated()).unique().sort().head(5).to_list()
        raise ValueError(f"{name}.participant_id is not unique, e.g. {dup}")
    return out


def _codes(series: pl.Series, unknown: Sequence[str] = ()) -> np.ndarray:
    """Integer code of each value (sorted vocabulary); null and ``unknown`` -> -1."""
    vocab = series.drop_nulls().unique().sort()
    vocab = vocab.filter(~vocab.is_in(list(unknown))) if unknown else vocab
    if vocab.len() == 0:
        return np.full(series.len(), -1, dtype=np.int32)
    physical = series.cast(pl.Enum(vocab.to_list()), strict=False).to_physical()
    return physical.cast(pl.Int32).fill_null(-1).to_numpy().astype(np.int32, copy=False)


def _bitsets(frame: pl.DataFrame, columns: Sequence[str]) -> list[Bitset]:
    """Bitsets of list columns that share one vocabulary (nulls are skipped)."""
    n = frame.height
    tokens = pl.concat([frame[c].explode().drop_nulls() for c in columns]).unique().sort()
    n_words = max(1, -(-tokens.len() // 64))
    out: list[Bitset] = []
    for c in columns:
        words = np.zeros((n_words, n), dtype=np.uint64)
        if tokens.len():
            exploded = (
                frame.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"), pl.col(c))
                .explode(c)
                .drop_nulls(c)
            )
            code = exploded[c].cast(pl.Enum(tokens.to_list())).to_physical().to_numpy()
            code = code.astype(np.int64)
            row = exploded["_row"].to_numpy()
            bit = np.left_shift(np.uint64(1), (code & 63).astype(np.uint64))
            np.bitwise_or.at(words, (code >> 6, row), bit)
        out.append(tuple(words[w].copy() for w in range(n_words)))
    return out


def popcount(bits: Bitset) -> np.ndarray:
    """Set size of each row of a bitset, as ``int16``."""
    total = np.zeros(bits[0].shape[0], dtype=np.int16)
    for word in bits:
        total += np.bitwise_count(word)
    return total


def encode(frame: pl.DataFrame) -> Profiles:
    """Encode a normalised frame (see :func:`normalise`) row by row.

    Columns not needed for eligibility (``gender``, ``gender_preference``) may be
    absent: they then default to "unspecified" and "any".
    """
    languages, learning = _bitsets(frame, ["languages", "learning_languages"])
    (interests,) = _bitsets(frame, ["interests"])
    (availability,) = _bitsets(frame, ["availability"])
    birth = frame["birth_year"]
    if "gender" in frame.columns:
        gender = _codes(frame["gender"], unknown=("unspecified",))
    else:
        gender = np.full(frame.height, -1, dtype=np.int32)
    if "gender_preference" in frame.columns:
        same = (frame["gender_preference"] == "same").fill_null(False).to_numpy()
    else:
        same = np.zeros(frame.height, dtype=bool)
    return Profiles(
        languages=languages,
        learning_languages=learning,
        interests=interests,
        n_interests=popcount(interests),
        availability=availability,
        n_availability=popcount(availability),
        district=_codes(frame["district"]),
        birth_year=birth.fill_null(0).to_numpy().astype(np.int64, copy=False),
        birth_known=birth.is_not_null().to_numpy(),
        gender=gender,
        same_gender=np.asarray(same, dtype=bool),
    )
