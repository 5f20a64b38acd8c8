"""The inbox sensor (Dagster's sensor testing API) and the schedules' defaults."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from ingest_helpers import base_inbox, write_csv

from pipelines.defs.automation import (
    inbox_sensor,
    monthly_reports_schedule,
    refresh_everything,
    weekly_proposals_schedule,
)
from pipelines.resources import Settings


def _evaluate(instance: dg.DagsterInstance, inbox: Path, cursor: str | None):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"settings": Settings(inbox=str(inbox))}
    )
    result = inbox_sensor.evaluate_tick(context)
    return result, result.cursor


def test_new_export_file_requests_a_run(tmp_path: Path) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    with dg.instance_for_test() as instance:
        first, cursor = _evaluate(instance, inbox, None)
        assert len(first.run_requests) == 1
        again, same = _evaluate(instance, inbox, cursor)
        assert again.run_requests == [] and same == cursor
        assert "no new or changed" in again.skip_message
        # Dropping a new export file is noticed; files of no feed are not.
        (inbox / "readme.txt").write_text("not an export")
        ignored, _ = _evaluate(instance, inbox, cursor)
        assert ignored.run_requests == []
        write_csv(inbox / "feedback_2026-11-26.csv", [{"feedback_id": "f2"}])
        new, new_cursor = _evaluate(instance, inbox, cursor)
        assert len(new.run_requests) == 1 and new_cursor != cursor
        assert new.run_requests[0].tags["bt/inbox"] == str(inbox.resolve())


def test_no_run_while_one_is_in_progress_for_the_inbox(tmp_path: Path) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    with dg.instance_for_test() as instance:
        instance.add_run(
            dg.DagsterRun(
                job_name=refresh_everything.name,
                run_id="r1",
                status=dg.DagsterRunStatus.STARTED,
                tags={"bt/inbox": str(inbox.resolve())},
            )
        )
        result, cursor = _evaluate(instance, inbox, None)
        assert result.run_requests == [] and cursor is None
        assert "still running" in result.skip_message


def test_automation_is_off_by_default() -> None:
    assert inbox_sensor.default_status == dg.DefaultSensorStatus.STOPPED
    for schedule in (weekly_proposals_schedule, monthly_reports_schedule):
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
        assert schedule.execution_timezone == "Europe/Berlin"
