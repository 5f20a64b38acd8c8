"""Intervals and estimators as Polars expression factories and frame helpers.

* Wilson score interval for a share ``k / n`` (95%, ``z = 1.959963984540054``).
* Student-t interval for a mean: ``mean ± t(0.975, n-1) * sd / sqrt(n)``, sd with ddof 1.
  The t quantile comes from ``scipy.stats.t.ppf`` applied to the whole column at once
  (``map_batches``, element-wise; no row loop).
* Kaplan-Meier survival at a horizon with Greenwood's variance, plain (not log-log) CI.
* ROC AUC by the Mann-Whitney rank sum with average ranks (ties count one half).

Conventions (METRICS.md, "Statistics"): Wilson at ``k = 0`` has lower bound exactly 0 and
at ``k = n`` upper bound exactly 1; a t CI with ``sd = 0`` is ``[mean, mean]``; shares and
KM are clipped to [0, 1]; ``S = 0`` gives ``[0, 0]``; n < 2 (means) or n = 0 (shares)
gives a null CI.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats as _st

__all__ = [
    "Z",
    "auc",
    "greenwood_ci",
    "kaplan_meier",
    "t_ci",
    "t_quantile",
    "wilson_ci",
]

Z = 1.959963984540054
"""The exact 97.5% quantile of the standard normal distribution."""


def _e(x: pl.Expr | str) -> pl.Expr:
    return pl.col(x) if isinstance(x, str) else x


def wilson_ci(k: pl.Expr | str, n: pl.Expr | str, z: float = Z) -> tuple[pl.Expr, pl.Expr]:
    r"""Wilson score interval of the share ``k / n``; null when ``n = 0``.

    .. math::
        \frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    Returns ``(ci_low, ci_high)`` expressions (aliased).
    """
    kf = _e(k).cast(pl.Float64)
    nf = _e(n).cast(pl.Float64)
    p = kf / nf
    denom = 1.0 + z**2 / nf
    centre = (p + z**2 / (2.0 * nf)) / denom
    half = z / denom * (p * (1.0 - p) / nf + z**2 / (4.0 * nf**2)).sqrt()
    valid = nf > 0
    low = (
        pl.when(~valid).then(None).when(kf <= 0).then(0.0).otherwise((centre - half).clip(0.0, 1.0))
    )
    high = (
        pl.when(~valid)
        .then(None)
        .when(kf >= nf)
        .then(1.0)
        .otherwise((centre + half).clip(0.0, 1.0))
    )
    return low.cast(pl.Float64).alias("ci_low"), high.cast(pl.Float64).alias("ci_high")


def _t975(df: pl.Series) -> pl.Series:
    dof = df.cast(pl.Float64).to_numpy()
    with np.errstate(invalid="ignore"):
        q = _st.t.ppf(0.975, np.where(dof >= 1, dof, np.nan))
    return pl.Series(q, dtype=pl.Float64).fill_nan(None)


def t_quantile(df: pl.Expr | str) -> pl.Expr:
    """``t(0.975, df)`` from Student's t (``scipy.stats.t.ppf``), null for ``df < 1``."""
    return _e(df).map_batches(_t975, return_dtype=pl.Float64, is_elementwise=True)


def _fixed_point(x: pl.Expr | str, scale: int) -> pl.Expr:
    expr = _e(x)
    return (expr if scale == 1 else (expr * scale).round()).cast(pl.Int128)


def exact_mean(x: pl.Expr | str, scale: int = 1) -> pl.Expr:
    """Mean of ``x`` (an aggregation) from an exact integer sum.

    Float sums depend on the order of their terms in the last bit, and the order of rows
    inside a group is not fixed; summing integers (``x`` itself, or ``x * scale`` rounded
    for fractional values) gives the same result on every run. Nulls are ignored.
    """
    xi = _fixed_point(x, scale)
    return (xi.sum().cast(pl.Float64) / (xi.count() * scale).cast(pl.Float64)).cast(pl.Float64)


def exact_sd(x: pl.Expr | str, scale: int = 1) -> pl.Expr:
    r"""Sample standard deviation (ddof 1) of ``x`` from exact integer sums (see :func:`exact_mean`).

    .. math:: s^2 = \frac{n \sum x^2 - (\sum x)^2}{n (n - 1)}

    computed in 128-bit integers up to the final division; null when fewer than 2 values.
    """
    xi = _fixed_point(x, scale)
    n = xi.count().cast(pl.Int128)
    numerator = n * (xi * xi).sum() - xi.sum() * xi.sum()
    variance = numerator.cast(pl.Float64) / (n * (n - 1)).cast(pl.Float64) / float(scale) ** 2
    return pl.when(n >= 2).then(variance.sqrt()).otherwise(None).cast(pl.Float64)


def t_ci(mean: pl.Expr | str, sd: pl.Expr | str, n: pl.Expr | str) -> tuple[pl.Expr, pl.Expr]:
    """95% CI of a mean: ``mean ± t(0.975, n-1) * sd / sqrt(n)``; null when ``n < 2``.

    ``sd`` is the sample standard deviation (ddof 1); ``sd = 0`` gives ``[mean, mean]``.
    """
    m, s, nn = _e(mean), _e(sd), _e(n)
    half = t_quantile(nn - 1) * s / nn.cast(pl.Float64).sqrt()
    ok = nn >= 2
    low = pl.when(ok).then(m - half).otherwise(None).cast(pl.Float64)
    high = pl.when(ok).then(m + half).otherwise(None).cast(pl.Float64)
    return low.alias("ci_low"), high.alias("ci_high")


def greenwood_ci(
    survival: pl.Expr | str, variance: pl.Expr | str, z: float = Z
) -> tuple[pl.Expr, pl.Expr]:
    """Plain 95% CI ``S ± z * sqrt(Var)``, clipped to [0, 1]; ``S = 0`` gives ``[0, 0]``."""
    s, v = _e(survival), _e(variance)
    half = z * v.sqrt()
    low = pl.when(s <= 0).then(0.0).otherwise((s - half).clip(0.0, 1.0))
    high = pl.when(s <= 0).then(0.0).otherwise((s + half).clip(0.0, 1.0))
    return low.cast(pl.Float64).alias("ci_low"), high.cast(pl.Float64).alias("ci_high")


def kaplan_meier(
    units: pl.LazyFrame,
    by: list[str],
    horizon: int,
    *,
    duration: str = "duration_days",
    event: str = "ended",
) -> pl.LazyFrame:
    r"""Kaplan-Meier estimate ``S(horizon)`` per group ``by``, with Greenwood's variance.

    .. math::
        S(h) = \prod_{t_i \le h} \left(1 - \frac{d_i}{n_i}\right), \qquad
        \widehat{Var} = S(h)^2 \sum_{t_i \le h} \frac{d_i}{n_i (n_i - d_i)}

    over the distinct event times ``t_i`` (durations with at least one event), ``d_i`` the
    events at ``t_i`` and ``n_i`` the units with duration ``>= t_i`` (a censored duration
    equal to an event time stays in the risk set). Returns ``by, n, survival, variance``
    for the groups present in ``units``; ``variance`` is NaN when ``S = 0``.
    """
    totals = units.group_by(by).agg(n=pl.len().cast(pl.Int64))
    steps = (
        units.group_by([*by, duration])
        .agg(d=pl.col(event).cast(pl.Int64).sum(), c=pl.len().cast(pl.Int64))
        .with_columns(at_risk=pl.col("c").cum_sum(reverse=True).over(by, order_by=duration))
        .filter((pl.col("d") > 0) & (pl.col(duration) <= horizon))
        # Multiply in time order: the same data then gives the same last bit every run.
        .sort([*by, duration])
        .with_columns(
            factor=1.0 - pl.col("d") / pl.col("at_risk"),
            term=pl.col("d") / (pl.col("at_risk") * (pl.col("at_risk") - pl.col("d"))),
        )
        .group_by(by, maintain_order=True)
        .agg(survival=pl.col("factor").product(), gw=pl.col("term").sum())
    )
    return (
        totals.join(steps, on=by, how="left")
        .with_columns(
            survival=pl.col("survival").fill_null(1.0),
            gw=pl.col("gw").fill_null(0.0),
        )
        .with_columns(
            variance=pl.when(pl.col("survival") <= 0)
            .then(float("nan"))
            .otherwise(pl.col("survival") ** 2 * pl.col("gw"))
        )
        .drop("gw")
    )


def auc(
    units: pl.LazyFrame,
    by: list[str],
    *,
    score: str = "score",
    label: str = "label",
    decimals: int = 12,
) -> pl.LazyFrame:
    r"""ROC AUC of ``score`` for the boolean ``label`` per group ``by`` (Mann-Whitney).

    .. math::
        AUC = \frac{R_+ - n_+(n_+ + 1)/2}{n_+ n_-}

    with ``R_+`` the sum of the average ranks of the positives; scores are rounded to
    ``decimals`` first so that float noise ties, and a tie counts one half. Null when only
    one class is present. Returns ``by, n, auc``.
    """
    ranked = units.with_columns(
        _rank=pl.col(score).round(decimals).rank("average").over(by),
        _pos=pl.col(label).cast(pl.Int64),
    )
    return (
        ranked.group_by(by)
        .agg(
            n=pl.len().cast(pl.Int64),
            _npos=pl.col("_pos").sum(),
            _rpos=pl.col("_rank").filter(pl.col(label)).sum(),
        )
        .with_columns(_nneg=pl.col("n") - pl.col("_npos"))
        .with_columns(
            auc=pl.when((pl.col("_npos") > 0) & (pl.col("_nneg") > 0))
            .then(
                (pl.col("_rpos") - pl.col("_npos") * (pl.col("_npos") + 1) / 2.0)
                / (pl.col("_npos") * pl.col("_nneg")).cast(pl.Float64)
            )
            .otherwise(None)
            .cast(pl.Float64)
        )
        .select(*by, "n", "auc")
    )
