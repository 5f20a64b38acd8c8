"""Automation: a sensor on the inbox, a weekly proposals schedule and a monthly reports schedule.

All three are off by default (Dagster's convention); an analyst switches them on in the UI
(Automation tab) or with ``dagster sensor start`` / ``dagster schedule start``.
"""

import hashlib
import json

import dagster as dg
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES

from pipelines.contract import feed_of
from pipelines.resources import Settings

#: Everything: ingest, core, matching, metrics and reports.
refresh_everything = dg.define_asset_job(
    "refresh_everything",
    selection=dg.AssetSelection.all(),
    description="Ingest the inbox and rebuild every table and report.",
)

#: The proposals and what they need.
weekly_match_proposals = dg.define_asset_job(
    "weekly_match_proposals",
    selection=dg.AssetSelection.assets("match_proposals").upstream(),
    description="Ingest the inbox and propose new tandems for everyone waiting.",
)

#: The funder reports and everything upstream of them.
monthly_funder_reports = dg.define_asset_job(
    "monthly_funder_reports",
    selection=dg.AssetSelection.groups("reports").upstream(),
    description="Rebuild the warehouse, metrics and every funder's report.",
)

weekly_proposals_schedule = dg.ScheduleDefinition(
    name="weekly_match_proposals_schedule",
    job=weekly_match_proposals,
    cron_schedule="0 6 * * 1",
    execution_timezone="Europe/Berlin",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Mondays 06:00 Berlin time: fresh proposals for the coordinators' week.",
)

monthly_reports_schedule = dg.ScheduleDefinition(
    name="monthly_funder_reports_schedule",
    job=monthly_funder_reports,
    cron_schedule="0 7 1 * *",
    execution_timezone="Europe/Berlin",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="First of the month 07:00 Berlin time: every funder's report.",
)


def inbox_fingerprint(settings: Settings) -> str:
    """A digest of the inbox's feed files (name, size, modification time); changes with any export."""
    inbox = settings.inbox_path
    entries = []
    if inbox.is_dir():
        for path in sorted(inbox.iterdir()):
            if path.is_file() and feed_of(path.name) is not None:
                stat = path.stat()
                entries.append([path.name, stat.st_size, stat.st_mtime_ns])
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


@dg.sensor(
    name="inbox_sensor",
    job=refresh_everything,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts a full refresh when an export file in BT_INBOX is new or changed.",
)
def inbox_sensor(context: dg.SensorEvaluationContext, settings: Settings):
    """Request one run per new inbox state; never while a refresh of this inbox is running."""
    fingerprint = inbox_fingerprint(settings)
    if fingerprint == context.cursor:
        return dg.SkipReason("no new or changed export files")
    running = context.instance.get_runs(
        filters=dg.RunsFilter(
            job_name=refresh_everything.name,
            statuses=list(IN_PROGRESS_RUN_STATUSES),
            tags={"bt/inbox": str(settings.inbox_path.resolve())},
        ),
        limit=1,
    )
    if running:
        return dg.SkipReason("a refresh of this inbox is still running; will look again")
    context.update_cursor(fingerprint)
    return dg.RunRequest(
        run_key=fingerprint,
        tags={"bt/inbox": str(settings.inbox_path.resolve())},
    )


JOBS = [refresh_everything, weekly_match_proposals, monthly_funder_reports]
SCHEDULES = [weekly_proposals_schedule, monthly_reports_schedule]
SENSORS = [inbox_sensor]
