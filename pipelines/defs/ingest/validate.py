"""Validate ``raw.<feed>`` rows against the contract into ``core.*`` and ``quarantine.*``.

One SQL pass per feed: every rule becomes a ``CASE`` that yields a reason (``column: rule``) or
NULL; a row with no reason is valid, a row with any is quarantined with all its reasons joined.
Valid rows are then de-duplicated per key (latest file by modification time, then file name,
then the last row of that file wins); the losers are *superseded*, and
``rows read = quarantined + core + superseded`` holds by construction and is checked.
Reasons name the column and the rule, never the value (values may be personal data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from pipelines.contract import (
    AVAILABILITY_SLOTS,
    END_REASONS,
    EVENT_KINDS,
    GENDER_PREFERENCES,
    GENDERS,
    GROUPS,
    ISO_639_1,
    STATUSES,
    SURVEY_ITEMS,
    WAVES,
    Feed,
    interests,
    trim_sql,
)
from pipelines.defs.ingest.read import UNCOMPRESSED

#: An ISO 8601 UTC offset: hours 00-23, minutes 00-59 (``+25:00`` or ``+01:60`` is no offset).
OFFSET_HH = r"[+-]([01]\d|2[0-3])"
#: Fractional seconds take a full stop or a comma (ISO 8601 allows both).
TS_WITH_OFFSET = (
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?)? ?(Z|" + OFFSET_HH + r"(:?[0-5]\d)?)"
)
TS_NAIVE = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?)?"
#: The shapes the exports write: naive Berlin wall time, or with Z or a ``+hh:mm`` offset
#: (a Parquet TIMESTAMPTZ becomes ``+00:00`` in raw); seconds, upper-case T.
TS_CANONICAL = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|" + OFFSET_HH + r":[0-5]\d)?"

#: SQL macros shared by every feed's validation (created per connection, temporary).
MACROS = rf"""
CREATE OR REPLACE TEMP MACRO bt_trim(s) AS {trim_sql("s")};
CREATE OR REPLACE TEMP MACRO bt_blank(s) AS NULLIF(bt_trim(s), '');
CREATE OR REPLACE TEMP MACRO bt_berlin(ts) AS (
    -- Berlin wall time to an instant. ICU resolves a non-existent time (March) with the
    -- offset before the change, as the contract says; for a repeated time (October) it
    -- picks the later one, so step back an hour when that is the same wall time. Since
    -- 1980 a wall time repeats only between 02:00 and 03:00 in September or October, so
    -- every other time skips the (costly) second conversion.
    CASE WHEN year(ts) >= 1980 AND NOT (month(ts) IN (9, 10) AND hour(ts) = 2)
         THEN timezone('Europe/Berlin', ts)
         WHEN timezone('Europe/Berlin', timezone('Europe/Berlin', ts) - INTERVAL 1 HOUR) = ts
         THEN timezone('Europe/Berlin', ts) - INTERVAL 1 HOUR
         ELSE timezone('Europe/Berlin', ts) END);
-- bt_ts takes the trimmed, upper-cased text once (bt_ts_text), not once per test.
CREATE OR REPLACE TEMP MACRO bt_ts_text(u) AS (
    CASE WHEN u IS NULL THEN NULL
         WHEN regexp_full_match(u, '{TS_WITH_OFFSET}')
         THEN TRY_CAST(replace(u, ',', '.') AS TIMESTAMPTZ)
         WHEN regexp_full_match(u, '{TS_NAIVE}')
         THEN bt_berlin(TRY_CAST(replace(u, ',', '.') AS TIMESTAMP))
    END);
-- Fast path: text already in the canonical shape (no spaces, upper-case T, Z, +hh:mm or no
-- offset, as the exports write it) is read without trimming, upper-casing or trying both
-- shapes; that is exactly what the general path would do with it. Everything else takes
-- that path. (Canonical text ends in Z or has a sign six from the end iff it has an offset.)
CREATE OR REPLACE TEMP MACRO bt_ts(s) AS (
    CASE WHEN regexp_full_match(s, '{TS_CANONICAL}')
         THEN CASE WHEN ends_with(s, 'Z') OR substr(s, -6, 1) IN ('+', '-')
                   THEN TRY_CAST(s AS TIMESTAMPTZ)
                   ELSE bt_berlin(TRY_CAST(s AS TIMESTAMP)) END
         ELSE bt_ts_text(NULLIF(upper(bt_trim(s)), '')) END);
CREATE OR REPLACE TEMP MACRO bt_day(ts) AS CAST(timezone('Europe/Berlin', ts) AS DATE);
-- Dates, integers and booleans test the text as it usually comes (no spaces, one digit,
-- lower-case true/false) first; such text reads the same trimmed, so the result is the
-- general rule's, without trimming every value.
CREATE OR REPLACE TEMP MACRO bt_date(s) AS (
    CASE WHEN regexp_full_match(s, '\d{{4}}-\d{{2}}-\d{{2}}') THEN TRY_CAST(s AS DATE)
         WHEN regexp_full_match(bt_trim(s), '\d{{4}}-\d{{2}}-\d{{2}}') THEN TRY_CAST(bt_trim(s) AS DATE) END);
CREATE OR REPLACE TEMP MACRO bt_int(s) AS (
    CASE WHEN length(s) = 1 AND s BETWEEN '0' AND '9' THEN ascii(s) - 48
         WHEN regexp_full_match(bt_trim(s), '[+-]?[0-9]+') THEN TRY_CAST(bt_trim(s) AS INTEGER) END);
CREATE OR REPLACE TEMP MACRO bt_bool(s) AS (
    CASE s WHEN 'true' THEN true WHEN 'false' THEN false ELSE
    CASE lower(bt_trim(s)) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'yes' THEN true
                        WHEN 'false' THEN false WHEN '0' THEN false WHEN 'no' THEN false END END);
-- Case is normalised for ASCII text only (strlen counts bytes, length characters): every
-- enum value, code and slug is ASCII, and a letter that lower-cases to ASCII (Turkish
-- dotted I, the Kelvin sign) is a look-alike, not a case variant, so it must not match.
CREATE OR REPLACE TEMP MACRO bt_lower_ascii(t) AS
    CASE WHEN strlen(t) = length(t) THEN lower(t) ELSE t END;
CREATE OR REPLACE TEMP MACRO bt_enum(s) AS bt_lower_ascii(bt_trim(s));
CREATE OR REPLACE TEMP MACRO bt_list(s) AS
    list_filter(list_transform(string_split(coalesce(s, ''), ';'), lambda x: bt_trim(x)), lambda x: x <> '');
CREATE OR REPLACE TEMP MACRO bt_codes(s) AS list_transform(bt_list(s), lambda x: bt_lower_ascii(x));
"""


def _in(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def _enum(expr: str, values: tuple[str, ...] | list[str]) -> str:
    """``bt_enum(expr)`` (trimmed, lower-case), skipping both for text that is already a value."""
    assert all(v == v.strip().lower() for v in values), "enum values are trimmed lower-case"
    return f"CASE WHEN {expr} IN {_in(values)} THEN {expr} ELSE bt_enum({expr}) END"


def _list_all_in(expr: str, values: tuple[str, ...] | list[str]) -> str:
    return f"list_bool_and(list_transform({expr}, lambda x: x IN {_in(values)}))"


def _rule(condition: str, reason: str) -> str:
    quoted = reason.replace("'", "''")
    return f"CASE WHEN {condition} THEN '{quoted}' END"


def _required(col: str, parsed: str | None = None) -> str:
    """``column: required`` when the text is missing or blank.

    With ``parsed`` (a typed value whose parser gives NULL for blank text), rows with a
    parsed value skip the trimming: DuckDB evaluates the right side of AND only where the
    left side holds, and almost every row has a value.
    """
    name = col.split(".")[-1].strip('"')
    blank = f"bt_blank({col}) IS NULL"
    return _rule(f"{parsed} IS NULL AND {blank}" if parsed else blank, f"{name}: required")


def _required_enum(col: str, parsed: str, values: tuple[str, ...]) -> str:
    """``column: required`` for an enum column: rows holding one of ``values`` skip the trimming."""
    name = col.split(".")[-1].strip('"')
    return _rule(
        f"({parsed} IS NULL OR {parsed} NOT IN {_in(values)}) AND bt_blank({col}) IS NULL",
        f"{name}: required",
    )


def _unparsable(col: str, parsed: str, reason: str) -> str:
    """``reason`` when the text is not blank but does not parse (cheap test first, as above)."""
    return _rule(f"{parsed} IS NULL AND bt_blank({col}) IS NOT NULL", reason)


@dataclass(frozen=True)
class FeedSql:
    """How one feed is validated: parsed columns, rule reasons, joins to other feeds."""

    parsed: str  # select list producing typed columns (prefixed v_)
    rules: list[str]  # SQL expressions yielding a reason text or NULL
    joins: str = ""  # extra FROM clauses (lookups into core tables)
    derived: str = ""  # columns computed once per raw row, for the joins and the rules


def _registrations(as_of: date) -> FeedSql:
    max_birth = as_of.year - 14
    langs = ISO_639_1
    slugs = [i.slug for i in interests()]
    parsed = f"""
        r.participant_id AS v_participant_id,
        bt_ts(r.registered_at) AS v_registered_at,
        {_enum('r."group"', GROUPS)} AS v_group,
        bt_trim(r.city) AS v_city,
        bt_blank(r.district) AS v_district,
        bt_blank(r.postcode) AS v_postcode,
        bt_int(r.birth_year) AS v_birth_year,
        coalesce({_enum("bt_blank(r.gender)", GENDERS)}, 'unspecified') AS v_gender,
        list_sort(list_distinct(bt_codes(r.languages))) AS v_languages,
        list_sort(list_distinct(bt_codes(r.learning_languages))) AS v_learning_languages,
        list_sort(list_distinct(bt_codes(r.interests))) AS v_interests,
        list_sort(list_distinct(bt_codes(r.availability))) AS v_availability,
        coalesce({_enum("bt_blank(r.gender_preference)", GENDER_PREFERENCES)}, 'any')
            AS v_gender_preference,
        bt_int(r.arrival_year) AS v_arrival_year,
        bt_bool(r.consent_research) AS v_consent_research,
        coalesce({_enum("bt_blank(r.status)", STATUSES)}, 'waiting') AS v_status"""
    rules = [
        _rule("r.participant_id IS NULL OR r.participant_id = ''", "participant_id: required"),
        _rule(
            "r.participant_id <> '' AND NOT regexp_full_match(r.participant_id, '[A-Za-z0-9_-]{1,64}')",
            "participant_id: must be 1-64 characters of A-Z a-z 0-9 _ -",
        ),
        _required("r.registered_at", "v_registered_at"),
        _unparsable(
            "r.registered_at", "v_registered_at", "registered_at: not an ISO 8601 timestamp"
        ),
        _rule("bt_day(v_registered_at) > $as_of", "registered_at: after BT_AS_OF"),
        _required_enum('r."group"', "v_group", GROUPS),
        _rule(
            f'v_group NOT IN {_in(GROUPS)} AND bt_blank(r."group") IS NOT NULL',
            "group: not one of newcomer, local",
        ),
        _rule("v_city IS NULL OR v_city = ''", "city: required"),
        _rule(
            "v_postcode IS NOT NULL AND NOT regexp_full_match(bt_trim(v_postcode), '[0-9]{5}')",
            "postcode: must be exactly 5 digits",
        ),
        _rule(
            "v_birth_year IS NULL AND bt_blank(r.birth_year) IS NOT NULL",
            "birth_year: not an integer",
        ),
        _rule(
            f"v_birth_year NOT BETWEEN 1910 AND {max_birth}",
            f"birth_year: outside 1910 to {max_birth}",
        ),
        _rule(
            f"v_gender NOT IN {_in(GENDERS)}",
            "gender: not one of female, male, diverse, unspecified",
        ),
        _rule("len(v_languages) = 0", "languages: required, at least one"),
        _rule(f"NOT {_list_all_in('v_languages', langs)}", "languages: not an ISO 639-1 code"),
        _rule(
            f"NOT {_list_all_in('v_learning_languages', langs)}",
            "learning_languages: not an ISO 639-1 code",
        ),
        _rule("len(v_interests) = 0", "interests: required, at least one"),
        _rule(f"NOT {_list_all_in('v_interests', slugs)}", "interests: not a known interest slug"),
        _rule(
            f"NOT {_list_all_in('v_availability', AVAILABILITY_SLOTS)}",
            "availability: not a slot mon..sun_morning/afternoon/evening",
        ),
        _rule(
            f"v_gender_preference NOT IN {_in(GENDER_PREFERENCES)}",
            "gender_preference: not one of any, same",
        ),
        _rule(
            "v_arrival_year IS NULL AND bt_blank(r.arrival_year) IS NOT NULL",
            "arrival_year: not an integer",
        ),
        _required("r.consent_research", "v_consent_research"),
        _unparsable(
            "r.consent_research",
            "v_consent_research",
            "consent_research: not a boolean (true/false/1/0/yes/no)",
        ),
        _rule(
            f"v_status NOT IN {_in(STATUSES)}", "status: not one of waiting, matched, paused, left"
        ),
    ]
    return FeedSql(parsed, rules)


def _matches() -> FeedSql:
    parsed = f"""
        bt_blank(r.match_id) AS v_match_id,
        r.newcomer_id AS v_newcomer_id,
        r.local_id AS v_local_id,
        bt_ts(r.matched_at) AS v_matched_at,
        bt_ts(r.ended_at) AS v_ended_at,
        {_enum("bt_blank(r.end_reason)", END_REASONS)} AS v_end_reason,
        pn."group" AS n_group, pn.registered_at AS n_registered_at,
        pl."group" AS l_group, pl.registered_at AS l_registered_at"""
    joins = """
        LEFT JOIN core.participants pn ON pn.participant_id = r.newcomer_id
        LEFT JOIN core.participants pl ON pl.participant_id = r.local_id"""
    rules = [
        _rule("v_match_id IS NULL", "match_id: required"),
        _rule("r.newcomer_id IS NULL OR r.newcomer_id = ''", "newcomer_id: required"),
        _rule(
            "r.newcomer_id <> '' AND n_group IS NULL", "newcomer_id: not a registered participant"
        ),
        _rule("n_group <> 'newcomer'", "newcomer_id: registered participant is not a newcomer"),
        _rule("r.local_id IS NULL OR r.local_id = ''", "local_id: required"),
        _rule("r.local_id <> '' AND l_group IS NULL", "local_id: not a registered participant"),
        _rule("l_group <> 'local'", "local_id: registered participant is not a local"),
        _required("r.matched_at", "v_matched_at"),
        _unparsable("r.matched_at", "v_matched_at", "matched_at: not an ISO 8601 timestamp"),
        _rule(
            "v_matched_at < n_registered_at OR v_matched_at < l_registered_at",
            "matched_at: before a registration of the pair",
        ),
        _rule("bt_day(v_matched_at) > $as_of", "matched_at: after BT_AS_OF"),
        _unparsable("r.ended_at", "v_ended_at", "ended_at: not an ISO 8601 timestamp"),
        _rule("v_ended_at < v_matched_at", "ended_at: before matched_at"),
        _rule(
            f"v_end_reason NOT IN {_in(END_REASONS)}",
            "end_reason: not one of completed, no_contact, moved, mismatch, other",
        ),
    ]
    return FeedSql(parsed, rules, joins)


def _feedback() -> FeedSql:
    parsed = f"""
        bt_blank(r.feedback_id) AS v_feedback_id,
        r.participant_id AS v_participant_id,
        {_enum("r.event_kind", EVENT_KINDS)} AS v_event_kind,
        r._match_id AS v_match_id,
        bt_blank(r.event_id) AS v_event_id,
        bt_date(r.event_date) AS v_event_date,
        bt_bool(r.attended) AS v_attended,
        bt_int(r.rating) AS v_rating,
        bt_bool(r.would_meet_again) AS v_would_meet_again,
        bt_int(r.new_contacts_other_group) AS v_new_contacts_other_group,
        NULLIF(r.comment, '') AS v_comment,
        bt_ts(r.submitted_at) AS v_submitted_at,
        p.participant_id IS NOT NULL AS p_registered,
        m.match_id IS NOT NULL AS m_known,
        r.participant_id IN (m.newcomer_id, m.local_id) AS m_member,
        m.m_day"""
    # The match's Berlin day is computed once per match, not once per feedback row.
    joins = """
        LEFT JOIN core.participants p ON p.participant_id = r.participant_id
        LEFT JOIN (SELECT match_id, newcomer_id, local_id, bt_day(matched_at) AS m_day
                   FROM core.matches) m ON m.match_id = r._match_id"""
    rules = [
        _rule("v_feedback_id IS NULL", "feedback_id: required"),
        _rule("r.participant_id IS NULL OR r.participant_id = ''", "participant_id: required"),
        _rule(
            "r.participant_id <> '' AND NOT p_registered",
            "participant_id: not a registered participant",
        ),
        _required_enum("r.event_kind", "v_event_kind", EVENT_KINDS),
        _rule(
            f"v_event_kind NOT IN {_in(EVENT_KINDS)} AND bt_blank(r.event_kind) IS NOT NULL",
            "event_kind: not one of tandem_meeting, group_event",
        ),
        _rule(
            "v_event_kind = 'tandem_meeting' AND v_match_id IS NULL",
            "match_id: required for a tandem_meeting",
        ),
        _rule(
            "v_event_kind = 'tandem_meeting' AND v_match_id IS NOT NULL AND NOT m_known",
            "match_id: not a known match",
        ),
        _rule(
            "v_event_kind = 'tandem_meeting' AND m_known AND p_registered AND NOT m_member",
            "participant_id: not one of the match's two people",
        ),
        _rule(
            "v_event_kind = 'group_event' AND v_match_id IS NOT NULL",
            "match_id: must be empty for a group_event",
        ),
        _rule(
            "v_event_kind = 'group_event' AND v_event_id IS NULL",
            "event_id: required for a group_event",
        ),
        _required("r.event_date", "v_event_date"),
        _unparsable("r.event_date", "v_event_date", "event_date: not an ISO 8601 date"),
        _rule(
            "v_event_kind = 'tandem_meeting' AND v_event_date < m_day",
            "event_date: before the match's matched_at",
        ),
        _rule("v_event_date > $as_of", "event_date: after BT_AS_OF"),
        _required("r.attended", "v_attended"),
        _unparsable("r.attended", "v_attended", "attended: not a boolean (true/false/1/0/yes/no)"),
        _rule(
            "v_rating NOT BETWEEN 1 AND 5 OR (v_rating IS NULL AND bt_blank(r.rating) IS NOT NULL)",
            "rating: not an integer 1-5",
        ),
        _unparsable(
            "r.would_meet_again",
            "v_would_meet_again",
            "would_meet_again: not a boolean (true/false/1/0/yes/no)",
        ),
        _rule(
            "v_new_contacts_other_group NOT BETWEEN 0 AND 50 OR "
            "(v_new_contacts_other_group IS NULL AND bt_blank(r.new_contacts_other_group) IS NOT NULL)",
            "new_contacts_other_group: not an integer 0-50",
        ),
        _rule("length(v_comment) > 2000", "comment: longer than 2000 characters"),
        _required("r.submitted_at", "v_submitted_at"),
        _unparsable("r.submitted_at", "v_submitted_at", "submitted_at: not an ISO 8601 timestamp"),
    ]
    # The trimmed match id is computed once: the match look-up and the rules both use it.
    return FeedSql(parsed, rules, joins, derived="bt_blank(match_id) AS _match_id")


def _surveys() -> FeedSql:
    items = ",\n".join(f"bt_int(r.{c}) AS v_{c}" for c in SURVEY_ITEMS)
    parsed = f"""
        r.participant_id AS v_participant_id,
        {_enum("r.wave", WAVES)} AS v_wave,
        bt_ts(r.answered_at) AS v_answered_at,
        p.participant_id IS NOT NULL AS p_registered,
        {items}"""
    joins = "LEFT JOIN core.participants p ON p.participant_id = r.participant_id"
    rules = [
        _rule("r.participant_id IS NULL OR r.participant_id = ''", "participant_id: required"),
        _rule(
            "r.participant_id <> '' AND NOT p_registered",
            "participant_id: not a registered participant",
        ),
        _required_enum("r.wave", "v_wave", WAVES),
        _rule(
            f"v_wave NOT IN {_in(WAVES)} AND bt_blank(r.wave) IS NOT NULL",
            "wave: not one of baseline, followup_3m, followup_12m",
        ),
        _required("r.answered_at", "v_answered_at"),
        _unparsable("r.answered_at", "v_answered_at", "answered_at: not an ISO 8601 timestamp"),
    ]
    for col, (lo, hi) in SURVEY_ITEMS.items():
        rules.append(
            _rule(
                f"v_{col} NOT BETWEEN {lo} AND {hi} "
                f"OR (v_{col} IS NULL AND bt_blank(r.{col}) IS NOT NULL)",
                f"{col}: not an integer {lo}-{hi}",
            )
        )
    return FeedSql(parsed, rules, joins)


def _erasures() -> FeedSql:
    parsed = """
        r.participant_id AS v_participant_id,
        bt_ts(r.requested_at) AS v_requested_at"""
    rules = [
        _rule("r.participant_id IS NULL OR r.participant_id = ''", "participant_id: required"),
        _required("r.requested_at", "v_requested_at"),
        _unparsable("r.requested_at", "v_requested_at", "requested_at: not an ISO 8601 timestamp"),
    ]
    return FeedSql(parsed, rules)


#: core table column -> the typed column of the validated row that feeds it, per feed.
CORE_COLUMNS: dict[str, dict[str, str]] = {
    "registrations": {
        "participant_id": "v_participant_id",
        "registered_at": "v_registered_at",
        "group": "v_group",
        "city": "v_city",
        "district": "v_district",
        "postcode": "v_postcode",
        "birth_year": "v_birth_year",
        "gender": "v_gender",
        "languages": "v_languages",
        "learning_languages": "v_learning_languages",
        "interests": "v_interests",
        "availability": "v_availability",
        "gender_preference": "v_gender_preference",
        "arrival_year": "v_arrival_year",
        "consent_research": "v_consent_research",
        "status": "v_status",
    },
    "matches": {
        "match_id": "v_match_id",
        "newcomer_id": "v_newcomer_id",
        "local_id": "v_local_id",
        "matched_at": "v_matched_at",
        "ended_at": "v_ended_at",
        "end_reason": "v_end_reason",
    },
    "feedback": {
        "feedback_id": "v_feedback_id",
        "participant_id": "v_participant_id",
        "event_kind": "v_event_kind",
        "match_id": "v_match_id",
        "event_id": "v_event_id",
        "event_date": "v_event_date",
        "attended": "v_attended",
        "rating": "v_rating",
        "would_meet_again": "v_would_meet_again",
        "new_contacts_other_group": "v_new_contacts_other_group",
        "comment": "v_comment",
        "submitted_at": "v_submitted_at",
    },
    "surveys": {
        "participant_id": "v_participant_id",
        "wave": "v_wave",
        "answered_at": "v_answered_at",
        **{c: f"v_{c}" for c in SURVEY_ITEMS},
    },
    "erasures": {
        "participant_id": "v_participant_id",
        "requested_at": "v_requested_at",
    },
}


def feed_sql(feed: Feed, as_of: date) -> FeedSql:
    """The validation recipe of one feed."""
    return {
        "registrations": lambda: _registrations(as_of),
        "matches": _matches,
        "feedback": _feedback,
        "surveys": _surveys,
        "erasures": _erasures,
    }[feed.name]()


def repeated_hashes(hash_expr: str, rows: str) -> str:
    """SQL: the distinct values ``h`` of ``hash_expr`` that occur more than once in ``rows``.

    Found by sorting the 64-bit hashes and comparing neighbours, which is 2.6x faster than
    grouping 22.7 M integers; equal keys hash alike, so keys whose hash is not listed are
    unique (listed ones still have to be compared on the keys themselves).
    """
    return f"""SELECT DISTINCT h FROM (
        SELECT h, lag(h) OVER (ORDER BY h) AS prev FROM (SELECT {hash_expr} AS h FROM {rows}))
        WHERE h = prev"""


@dataclass(frozen=True)
class FeedCounts:
    """The reconciliation of one feed: read = quarantined + core + superseded."""

    feed: str
    rows_read: int
    rows_quarantined: int
    rows_core: int
    rows_superseded: int

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_quarantined + self.rows_core + self.rows_superseded


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the parsing macros on this connection (temporary: nothing persists)."""
    con.execute(MACROS)


def validate_feed(
    con: duckdb.DuckDBPyConnection,
    feed: Feed,
    as_of: date,
    core_table: str,
    *,
    only_files: list[str] | None = None,
    previous: FeedCounts | None = None,
) -> FeedCounts:
    """Split ``raw.<feed>`` into ``quarantine.<feed>`` and the de-duplicated ``core_table``.

    Must run inside the caller's transaction: a full validation replaces ``core_table`` by
    dropping it and renaming the table it built, which only a transaction makes one step.
    ``core_table`` may be a temporary table (erasures keeps no clear ids in core). Returns
    the four reconciliation counts.

    With ``only_files`` (and the ``previous`` counts), only those files' rows are validated
    and merged into the existing tables: their rejects are appended to quarantine, their
    accepted rows replace core rows with the same key. That equals a full validation only
    when the caller has made sure of it (:mod:`pipelines.defs.ingest.incremental`): the
    files are new and ordered after every earlier file, and nothing the rules read changed.
    """
    install_macros(con)
    recipe = feed_sql(feed, as_of)
    rules = ",\n".join(recipe.rules)
    contract_cols = ", ".join(f'r."{c}"' for c in feed.columns)
    typed_cols = list(CORE_COLUMNS[feed.name].values())
    key = [f"v_{k}" for k in feed.key]
    increment = only_files is not None
    if increment and previous is None:
        raise ValueError("an incremental validation needs the previous counts")
    # Later files win, then later rows: one sortable number per row (file rank, row).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _bt_file_order AS
        SELECT file_name, row_number() OVER (ORDER BY mtime_ns, file_name) AS rank
        FROM meta.source_files WHERE feed = '{feed.name}'"""
    )
    if increment:
        con.execute(
            "DELETE FROM _bt_file_order WHERE NOT list_contains(?, file_name)", [only_files]
        )
    # One pass: typed values, the order key and the reasons (concat_ws skips NULL reasons).
    # Only the slim typed row is kept; quarantine fetches the original text back from raw.
    # A full validation into a warehouse table builds that table itself: the pass is written
    # once, in core's schema (inside the caller's transaction, so never seen half-built),
    # then rejected and superseded rows are deleted, the helper columns dropped and the
    # typed columns renamed, which DuckDB does without copying the rows. (Writing a
    # temporary table and then core from it wrote 22.7 M feedback rows twice: 4 s more.)
    in_place = not increment and "." in core_table
    schema, core_name = core_table.rsplit(".", 1) if in_place else ("", core_table)
    checked = f"{schema}._bt_checked_{feed.name}" if in_place else "_bt_checked"
    con.execute(f"DROP TABLE IF EXISTS {checked}")
    pass_sql = f"""WITH parsed AS (
            SELECT {contract_cols}, r._source_file, r._source_row, r._parse_error,
                   {recipe.parsed}
            FROM {
        f"(SELECT *, {recipe.derived} FROM raw.{feed.name})"
        if recipe.derived
        else f"raw.{feed.name}"
    } r {recipe.joins}
            {"WHERE r._source_file IN (SELECT file_name FROM _bt_file_order)" if increment else ""}
        )
        SELECT {", ".join(typed_cols)}, r._source_file, r._source_row,
               (f.rank::BIGINT << 40) + r._source_row AS _ord,
               hash({", ".join(key)}) AS _h,
               CASE WHEN r._parse_error IS NOT NULL THEN r._parse_error
                    ELSE concat_ws('; ', {rules}) END AS _reason
        FROM parsed r JOIN _bt_file_order f ON f.file_name = r._source_file"""
    params = {"as_of": as_of} if "$as_of" in rules else None
    if in_place:
        # Declared first, so the feed's near-unique text columns are stored uncompressed.
        described = con.execute(f"DESCRIBE {pass_sql}", params).fetchall()
        plain = {CORE_COLUMNS[feed.name][c] for c in feed.uncompressed}
        cols = ", ".join(
            f'"{name}" {kind}{UNCOMPRESSED if name in plain and kind == "VARCHAR" else ""}'
            for name, kind, *_ in described
        )
        con.execute(f"CREATE TABLE {checked} ({cols})")
        con.execute(f"INSERT INTO {checked} {pass_sql}", params)
    else:
        con.execute(f"CREATE TEMP TABLE {checked} AS {pass_sql}", params)
    quarantine_cols = ", ".join(f'r."{c}"' for c in feed.columns)
    con.execute(
        f"""{f"INSERT INTO quarantine.{feed.name}" if increment else f"CREATE OR REPLACE TABLE quarantine.{feed.name} AS"}
        SELECT {quarantine_cols}, r._source_file, r._source_row, r._ingested_at, r._raw_line,
               q._reason AS reason
        FROM raw.{feed.name} r
        JOIN (SELECT _source_file, _source_row, _reason FROM {checked} WHERE _reason <> '') q
          ON q._source_file = r._source_file AND q._source_row = r._source_row
        ORDER BY r._source_file, r._source_row"""
    )
    on = " AND ".join(f"d.{k} = c.{k}" for k in key)
    # De-duplication: only keys seen more than once need a winner. Candidates are the
    # 64-bit key hashes (computed in the pass above) equal to their predecessor in sorted
    # order, which is a sort of integers (2.6x faster than grouping 22.7 M of them), then
    # confirmed on the key itself, so the exact grouping only ever sees the repeated rows.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _bt_dups AS
        WITH repeated AS ({repeated_hashes("_h", f"{checked} WHERE _reason = ''")})
        SELECT {", ".join(key)}, max(_ord) AS _win, count(*) - 1 AS _lost
        FROM {checked}
        WHERE _reason = '' AND _h IN (SELECT h FROM repeated)
        GROUP BY ALL HAVING count(*) > 1"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _bt_losers AS
        SELECT c._ord FROM {checked} c JOIN _bt_dups d ON {on}
        WHERE c._reason = '' AND c._ord <> d._win"""
    )
    no_losers = con.execute("SELECT count(*) = 0 FROM _bt_losers").fetchone()[0]
    losers = "" if no_losers else "OR _ord IN (SELECT _ord FROM _bt_losers)"
    replaced = 0
    if in_place:
        con.execute(f"DELETE FROM {checked} WHERE _reason <> '' {losers}")
        for helper in ("_ord", "_h", "_reason"):
            con.execute(f"ALTER TABLE {checked} DROP COLUMN {helper}")
        for col, expr in CORE_COLUMNS[feed.name].items():
            con.execute(f'ALTER TABLE {checked} RENAME COLUMN {expr} TO "{col}"')
        con.execute(f"DROP TABLE IF EXISTS {core_table}")
        con.execute(f'ALTER TABLE {checked} RENAME TO "{core_name}"')
    else:
        core_cols = ", ".join(f'{expr} AS "{col}"' for col, expr in CORE_COLUMNS[feed.name].items())
        winners = f"""SELECT {core_cols}, _source_file, _source_row
            FROM {checked} WHERE NOT (_reason <> '' {losers})"""
        if increment:
            # The new files come after every earlier one, so their winners beat core rows.
            keys = ", ".join(f'"{k}"' for k in feed.key)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _bt_winners AS {winners}")
            replaced = con.execute(
                f"""DELETE FROM {core_table}
                WHERE ({keys}) IN (SELECT ({keys}) FROM _bt_winners)"""
            ).fetchall()[0][0]
            con.execute(f"INSERT INTO {core_table} SELECT * FROM _bt_winners")
        else:
            con.execute(f"CREATE OR REPLACE TABLE {core_table} AS {winners}")
    lost = con.execute("SELECT coalesce(sum(_lost), 0) FROM _bt_dups").fetchone()[0]
    counts = con.execute(
        f"""SELECT (SELECT count(*) FROM raw.{feed.name}),
                   (SELECT count(*) FROM quarantine.{feed.name}),
                   (SELECT count(*) FROM {core_table})"""
    ).fetchone()
    superseded = lost + replaced + (previous.rows_superseded if increment else 0)
    con.execute(
        f"DROP TABLE IF EXISTS {checked}; DROP TABLE IF EXISTS _bt_dups; "
        "DROP TABLE IF EXISTS _bt_losers; DROP TABLE IF EXISTS _bt_file_order; "
        "DROP TABLE IF EXISTS _bt_winners"
    )
    return FeedCounts(feed.name, *counts, superseded)
