"""Pure Polars transforms of bring-together impact: the metrics of METRICS.md.

LazyFrame in, LazyFrame out; no Dagster, no I/O, no ``collect()`` inside. The pipeline
calls :func:`match_outcomes` (``marts.match_outcomes``) and :func:`impact_metrics`
(``marts.impact_metrics``) and collects once at its boundary. Each metric has one function
named after its ``metric_id`` whose docstring quotes its definition;
:data:`METRICS` / :data:`METRIC_DEFINITIONS` list them for reports.

Interpretations where METRICS.md leaves room (the "Precise conventions" decide everything
else):

* ``cross_group_ties`` is a count whose ``n`` is defined separately (distinct writers of
  the counted rows), so its value is not n; with no rows, value 0, n 0.
* ``match_rate_30d``: the first match is not required to fall in period or before
  ``end``; only the exact elapsed time ``matched_at - registered_at <= 30 days`` counts.
* ``median_days_to_match``: days = elapsed microseconds / 86,400,000,000 (exact seconds).
* ``ended`` ("``ended_at`` is set") means ``ended_at`` is not null, even when it lies
  after ``BT_AS_OF``; the waiting set likewise treats any non-null ``ended_at`` as ended.
* ``proposal_coverage``: appearing in ``marts.match_proposals`` means being its newcomer
  or its local.
* ``mean_proposal_score``: no period filter (the proposals are a snapshot at
  ``BT_AS_OF``); the newcomer's registered city decides scope and cell.
* ``score_auc_sustained``: matches without a score in ``match_scores`` are left out
  (n counts matches with a score).
* ``cross_group_ties`` tandem rows are attributed to the match's (newcomer's) city; n of
  a city cell counts the distinct writers of the rows attributed to that city.
* ``tandem_survival_182d`` and ``match_outcomes`` use ``last = latest attended meeting
  date up to BT_AS_OF`` with no lower bound (meetings before ``d0`` are impossible after
  validation).
* A city listed twice by one funder yields one ``city=`` segment (first position).
"""

from transforms.impact_metrics import IMPACT_METRICS_SCHEMA, canonical_order, impact_metrics
from transforms.match_outcomes import first_matches, match_outcomes
from transforms.matching_quality import waiting
from transforms.registry import LEVELS, METRIC_DEFINITIONS, METRICS, Metric
from transforms.scope import Funder, Scope, as_of_date, berlin_date
from transforms.stats import Z, greenwood_ci, kaplan_meier, t_ci, wilson_ci

__all__ = [
    "IMPACT_METRICS_SCHEMA",
    "LEVELS",
    "METRICS",
    "METRIC_DEFINITIONS",
    "Funder",
    "Metric",
    "Scope",
    "Z",
    "as_of_date",
    "berlin_date",
    "canonical_order",
    "first_matches",
    "greenwood_ci",
    "impact_metrics",
    "kaplan_meier",
    "match_outcomes",
    "t_ci",
    "waiting",
    "wilson_ci",
]
