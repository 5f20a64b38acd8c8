"""Babel formatting, template filters, autoescaping and CSV formula neutralisation."""

from datetime import UTC, date, datetime

import pytest

from reports.formatting import (
    format_cell_ci,
    format_cell_n,
    format_cell_value,
    format_count,
    format_date,
    format_datetime,
    format_metric,
    format_number,
    format_share,
)
from reports.labels import METRIC_LABELS, TEXT
from reports.render import ENV, neutralise_formula
from reports.view import Cell, secondary_suppress

METRIC_IDS = [
    "registrations", "matches_made", "participants_matched", "match_rate_30d",
    "median_days_to_match", "tandem_meetings", "group_event_visits", "first_meeting_rate",
    "sustained_rate", "mean_rating", "would_meet_again_share", "cross_group_ties",
    *(f"delta_{item}_{w}" for w in ("3m", "12m") for item in (
        "belonging", "trust_people", "outgroup_contact", "outgroup_attitude", "loneliness",
        "diversity_acceptance")),
    "improved_belonging_share_3m", "improved_belonging_share_12m", "tandem_survival_182d",
    "proposal_coverage", "mean_proposal_score", "score_auc_sustained",
]  # fmt: skip


def cell(**kw) -> Cell:
    base = dict(metric_id="m", segment="all", label="M", kind="share", signed=False,
                value=0.5, n=40, ci_low=0.35, ci_high=0.65, suppressed=False)  # fmt: skip
    return Cell(**{**base, **kw})


def test_numbers_and_dates_follow_the_locale():
    assert format_number(1234.5, "de") == "1.234,5"
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_count(1234, "de") == "1.234"
    assert format_count(1234, "en") == "1,234"
    assert format_date(date(2026, 11, 24), "de") == "24.11.2026"
    assert format_date(date(2026, 1, 4), "de") == "04.01.2026"
    assert format_date(date(2026, 11, 24), "en") == "24 November 2026"
    assert format_datetime(datetime(2026, 7, 1, 9, 30, tzinfo=UTC), "en") == (
        "1 July 2026, 11:30 Berlin time"  # CEST = UTC+2
    )
    # 09:30 UTC is 10:30 in Berlin in November (CET = UTC+1)
    assert (
        format_datetime(datetime(2026, 11, 24, 9, 30, tzinfo=UTC), "de") == "24.11.2026, 10:30 Uhr"
    )


def test_shares_means_and_changes():
    assert format_share(0.4567, "de") == "45,7\u00a0%"
    assert format_share(0.4567, "en") == "45.7%"
    assert format_metric(0.35, "mean", "de", signed=True) == "+0,35"
    assert format_metric(-0.35, "mean", "en", signed=True) == "-0.35"
    assert format_metric(0.001, "mean", "en", signed=True) == "0.00"  # no "+0.00" / "-0.00"
    assert format_metric(12.5, "days", "de") == "12,5\u00a0Tage"
    assert format_metric(None, "share", "de") == "—"


def test_suppressed_cells_never_show_their_numbers():
    hidden = cell(suppressed=True)
    assert format_cell_value(hidden, "de") == "weniger als 5"
    assert format_cell_value(hidden, "en") == "fewer than 5"
    assert format_cell_ci(hidden, "de") == ""
    assert format_cell_n(hidden, "de") == ""
    assert format_cell_value(cell(value=None, n=0, ci_low=None, ci_high=None), "en") == "—"
    assert format_cell_ci(cell(), "de") == "[35,0\u00a0%; 65,0\u00a0%]"
    assert format_cell_ci(cell(), "en") == "[35.0%, 65.0%]"


def test_filters_take_the_language_from_the_template_context():
    template = ENV.from_string("{{ x|number }} {{ d|date }} {{ c|cell_value }}")
    hidden = cell(suppressed=True)
    assert template.render(lang="de", x=1234.5, d=date(2026, 11, 24), c=hidden) == (
        "1.234,5 24.11.2026 weniger als 5"
    )
    assert template.render(lang="en", x=1234.5, d=date(2026, 11, 24), c=hidden) == (
        "1,234.5 24 November 2026 fewer than 5"
    )


def test_environment_escapes_strings_and_files():
    assert ENV.from_string("{{ x }}").render(x="<script>") == "&lt;script&gt;"
    assert ENV.get_template("report.html").environment.autoescape("report.html")


@pytest.mark.parametrize(
    ("cell_text", "expected"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+cmd", "'+cmd"),
        ("-cmd", "'-cmd"),
        ("@import", "'@import"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-0.25", "-0.25"),
        ("+1e5", "+1e5"),
        ("-3", "-3"),
        ("city=Leipzig", "city=Leipzig"),
        ("", ""),
    ],
)
def test_formula_neutralisation(cell_text, expected):
    assert neutralise_formula(cell_text) == expected


def test_every_metric_has_a_label_in_both_languages():
    for metric_id in METRIC_IDS:
        label = METRIC_LABELS[metric_id]
        assert label.de and label.en and label.kind in (
            "count", "share", "mean", "days", "score", "survival")  # fmt: skip
    assert set(METRIC_LABELS) == set(METRIC_IDS)
    assert TEXT["de"].keys() == TEXT["en"].keys()


def test_a_single_hidden_month_gets_a_secondary_partner():
    # months add up to the period total, so one hidden month alone could be recovered
    assert secondary_suppress([10, None, 7, 0, 12]) == [10, None, None, 0, 12]
    assert secondary_suppress([10, None, 7, None]) == [10, None, 7, None]
    assert secondary_suppress([0, None, 0]) == [0, None, 0]
    assert secondary_suppress([5, 6]) == [5, 6]
