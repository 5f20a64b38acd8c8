"""Matching of waiting newcomers and locals into tandems (MATCHING.md).

A small, pure package: Polars frames in, Polars frames out, no I/O, no Dagster.

- :func:`score_pairs` scores arbitrary (newcomer, local) pairs (no eligibility rule);
- :func:`candidate_pairs` lists the eligible pairs of each city (rules 1-6);
- :func:`propose_matches` returns an optimal matching (maximum total score);
- :func:`max_weight_matching` is the underlying sparse solver.
"""

from matching_core.assign import max_weight_matching, propose_matches
from matching_core.eligibility import ROUND_DECIMALS, candidate_pairs
from matching_core.score import DEFAULT_MIN_SCORE, SCORE_COLUMNS_OUT, Weights, score_pairs

#: Columns of the frame returned by :func:`propose_matches` and :func:`candidate_pairs`.
PROPOSAL_COLUMNS: tuple[str, ...] = ("newcomer_id", "local_id", "city", *SCORE_COLUMNS_OUT)

__all__ = [
    "DEFAULT_MIN_SCORE",
    "PROPOSAL_COLUMNS",
    "ROUND_DECIMALS",
    "SCORE_COLUMNS_OUT",
    "Weights",
    "candidate_pairs",
    "max_weight_matching",
    "propose_matches",
    "score_pairs",
]
