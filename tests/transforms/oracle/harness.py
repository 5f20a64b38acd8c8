"""Data loading and cell-by-cell comparison for the oracle tests."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from oracle.metrics import oracle_impact_metrics

BERLIN = ZoneInfo("Europe/Berlin")
FIELDS = ("value", "n", "ci_low", "ci_high", "suppressed")


def _bd(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone("Europe/Berlin").dt.date()


def restrict(core: dict[str, pl.DataFrame], as_of: dt.date) -> dict[str, pl.DataFrame]:
    """The rows that would pass validation at an earlier ``BT_AS_OF`` (CONTRACT.md)."""
    p = core["participants"].filter(_bd("registered_at") <= as_of)
    ids = p["participant_id"].implode()
    m = core["matches"].filter(
        _bd("matched_at") <= as_of, pl.col("newcomer_id").is_in(ids), pl.col("local_id").is_in(ids)
    )
    f = core["feedback"].filter(
        pl.col("event_date") <= as_of,
        pl.col("participant_id").is_in(ids),
        pl.col("match_id").is_null() | pl.col("match_id").is_in(m["match_id"].implode()),
    )
    s = core["surveys"].filter(pl.col("participant_id").is_in(ids))
    return {"participants": p, "matches": m, "feedback": f, "surveys": s}


def matching_inputs(core: dict[str, pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``marts.match_proposals`` (as the pipeline builds it) and the score of every match."""
    from matching_core import propose_matches, score_pairs

    p, m = core["participants"], core["matches"]
    busy = pl.concat(
        [m.filter(pl.col("ended_at").is_null())[c] for c in ("newcomer_id", "local_id")]
    )
    waiting = p.filter(
        pl.col("status") == "waiting", ~pl.col("participant_id").is_in(busy.implode())
    )
    proposals = propose_matches(waiting, m.select("newcomer_id", "local_id"))
    if m.is_empty():
        scores = pl.DataFrame(schema={"match_id": pl.String, "score": pl.Float64})
    else:
        scores = score_pairs(m.select("match_id", "newcomer_id", "local_id"), p).select(
            "match_id", "score"
        )
    return proposals, scores


def transforms_cells(frames: dict[str, Any], proposals, scores, funders, as_of) -> dict:
    import transforms

    out = transforms.impact_metrics(
        frames["participants"].lazy(),
        frames["matches"].lazy(),
        frames["feedback"].lazy(),
        frames["surveys"].lazy(),
        None if proposals is None else proposals.lazy(),
        None if scores is None else scores.lazy(),
        funders,
        as_of,
    ).collect()
    cells = {}
    for r in out.iter_rows(named=True):
        key = (r["funder_id"], r["metric_id"], r["segment"])
        assert key not in cells, f"duplicate row {key}"
        cells[key] = {k: r[k] for k in FIELDS}
    return cells


def oracle_cells(frames, proposals, scores, funders, as_of) -> dict:
    return oracle_impact_metrics(
        frames["participants"],
        frames["matches"],
        frames["feedback"],
        frames["surveys"],
        proposals,
        scores,
        funders,
        as_of,
    )


def _same(a, b, tol: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, float) and math.isnan(a):
        return False
    return abs(a - b) <= tol * max(1.0, abs(b))


def diff(ours: dict, theirs: dict, metric: str | None = None) -> list[str]:
    """Readable disagreements (restricted to ``metric`` when given)."""
    keys = sorted(set(ours) | set(theirs))
    out = []
    for k in keys:
        if metric is not None and k[1] != metric:
            continue
        if k not in theirs:
            out.append(f"{k}: missing in transforms")
            continue
        if k not in ours:
            out.append(f"{k}: unexpected row in transforms")
            continue
        bad = [
            f"{f}: oracle={ours[k][f]!r} transforms={theirs[k][f]!r}"
            for f in FIELDS
            if not _same(theirs[k][f], ours[k][f])
        ]
        if bad:
            out.append(f"{k}: " + "; ".join(bad))
    return out
