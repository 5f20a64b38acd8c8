import inspect

from transforms import LEVELS, METRIC_DEFINITIONS, METRICS
from transforms.segments import AREA, PARTICIPANT

ITEMS = [
    "belonging",
    "trust_people",
    "outgroup_contact",
    "outgroup_attitude",
    "loneliness",
    "diversity_acceptance",
]
EXPECTED = [
    "registrations",
    "matches_made",
    "participants_matched",
    "match_rate_30d",
    "median_days_to_match",
    "tandem_meetings",
    "group_event_visits",
    "first_meeting_rate",
    "sustained_rate",
    "mean_rating",
    "would_meet_again_share",
    "cross_group_ties",
    *[
        m
        for w in ("3m", "12m")
        for m in [*(f"delta_{i}_{w}" for i in ITEMS), f"improved_belonging_share_{w}"]
    ],
    "tandem_survival_182d",
    "proposal_coverage",
    "mean_proposal_score",
    "score_auc_sustained",
]


def test_every_metric_of_the_spec_in_order():
    assert list(METRICS) == EXPECTED
    assert len(METRICS) == 30


def test_levels_and_families():
    levels = {m: METRICS[m].level for m in METRICS}
    assert {levels[m] for m in EXPECTED[:7]} == {"output"}
    assert {levels[m] for m in EXPECTED[7:12]} == {"outcome"}
    assert {levels[m] for m in EXPECTED[12:26]} == {"survey"}
    assert levels["tandem_survival_182d"] == "impact"
    assert {levels[m] for m in EXPECTED[27:]} == {"matching"}
    assert set(levels.values()) <= set(LEVELS)
    over_participants = {
        "registrations",
        "participants_matched",
        "match_rate_30d",
        "median_days_to_match",
        *EXPECTED[12:26],
    }
    for m in METRICS.values():
        assert m.families == (PARTICIPANT if m.metric_id in over_participants else AREA)


def test_definitions_come_from_the_docstrings():
    for metric_id, text in METRIC_DEFINITIONS.items():
        assert text and "\n" not in text
        assert "<item>" not in text and "<w>" not in text
        fn = getattr(METRICS[metric_id].function, "func", METRICS[metric_id].function)
        assert text.split(" ")[0] in inspect.getdoc(fn)
    assert METRIC_DEFINITIONS["registrations"].startswith("Participants with `registered_at`")
    assert "followup_12m" in METRIC_DEFINITIONS["delta_loneliness_12m"]
    assert "lonely_1 + lonely_2 + lonely_3" in METRIC_DEFINITIONS["delta_loneliness_3m"]
    assert "`delta_belonging_3m`" in METRIC_DEFINITIONS["improved_belonging_share_3m"]
    # single-metric functions are named after their metric_id
    for metric_id, m in METRICS.items():
        if not metric_id.startswith(("delta_", "improved_")):
            assert m.function.__name__ == metric_id
