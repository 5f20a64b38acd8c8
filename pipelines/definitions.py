"""The one Dagster ``Definitions`` of bring-together impact: assets, checks, resources."""

import dagster as dg

from pipelines.defs.automation import JOBS, SCHEDULES, SENSORS
from pipelines.defs.ingest.assets import (
    core_feedback,
    core_matches,
    core_participants,
    core_surveys,
    erasure_ledger,
    raw_inbox,
)
from pipelines.defs.ingest.checks import INGEST_CHECKS
from pipelines.defs.matching.assets import match_proposals
from pipelines.defs.metrics.assets import impact_metrics, match_outcomes
from pipelines.defs.reports.assets import funder_reports
from pipelines.resources import Settings, Warehouse, env_or_default


def build_resources() -> dict[str, dg.ConfigurableResource]:
    """Resources bound to the ``BT_*`` environment variables (contract defaults when unset)."""
    return {
        "settings": Settings(
            inbox=env_or_default("BT_INBOX"),
            reports=env_or_default("BT_REPORTS"),
            funders=env_or_default("BT_FUNDERS"),
            as_of=env_or_default("BT_AS_OF"),
        ),
        "warehouse": Warehouse(path=env_or_default("BT_WAREHOUSE")),
    }


INGEST_ASSETS = [
    raw_inbox,
    erasure_ledger,
    core_participants,
    core_matches,
    core_feedback,
    core_surveys,
]

ALL_ASSETS = [*INGEST_ASSETS, match_proposals, match_outcomes, impact_metrics, funder_reports]

defs = dg.Definitions(
    assets=ALL_ASSETS,
    asset_checks=INGEST_CHECKS,
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources=build_resources(),
    # DuckDB allows one writing process: run steps one after another in one process.
    executor=dg.in_process_executor,
)
