"""An independent, plain-Python reading of METRICS.md, used to check ``transforms``.

Written from the spec alone (METRICS.md, MATCHING.md, CONTRACT.md, docs/warehouse.md):
loops, dicts, ``datetime``/``zoneinfo``, ``statistics`` and ``scipy.stats`` only.
"""

from oracle.metrics import METRIC_IDS, OracleFunder, oracle_impact_metrics, score

__all__ = ["METRIC_IDS", "OracleFunder", "oracle_impact_metrics", "score"]
