"""Plain-pandas reference: the contract's validation and the output/outcome metrics, no pipeline.

What a competent analyst would write with vectorised pandas: read every export, validate each
row with boolean masks that add a reason, drop erased people, de-duplicate (latest file, then
last row), check cross-feed rules with ``isin``/``map``, then compute the twelve output and
outcome metrics of METRICS.md for segment ``all`` per funder. The benchmark harness runs it as
a subprocess and compares its figures with ``marts.impact_metrics``::

    python -m benchmarks.pandas_reference --inbox DIR --funders FILE --as-of 2026-11-25 --out F

Not covered (the pipeline does them, this does not): raw copies with lineage, CSV rows with a
wrong number of fields (the benchmark inbox has none), the erasure ledger, Great Expectations,
matching, segments other than ``all``, confidence intervals, disclosure control, reports.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.contract import (
    AVAILABILITY_SLOTS,
    END_REASONS,
    EVENT_KINDS,
    FEEDS_BY_NAME,
    GENDER_PREFERENCES,
    GENDERS,
    GROUPS,
    ISO_639_1,
    STATUSES,
    SURVEY_ITEMS,
    WAVES,
    interests,
)

BERLIN = "Europe/Berlin"
BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
OFFSET = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s?(?:Z|[+-]\d{2}(?::?\d{2})?)$"
DAY = pd.Timedelta(days=1)


# --- reading -----------------------------------------------------------------------------------


def read_feed(inbox: Path, feed: str, as_of: date) -> pd.DataFrame:
    """All files of one feed, in the order later rows win, with ``_file`` rank and ``_row``."""
    files = [
        p
        for p in inbox.iterdir()
        if p.name.lower().startswith(feed) and p.suffix.lower() in (".csv", ".parquet", ".jsonl")
    ]
    files.sort(key=lambda p: (p.stat().st_mtime_ns, p.name))
    frames = []
    for rank, path in enumerate(files):
        suffix = path.suffix.lower()
        if suffix == ".csv":
            df = pd.read_csv(
                path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
            )
        elif suffix == ".parquet":
            df = pd.read_parquet(path)
        else:
            df = pd.read_json(path, lines=True, dtype=False)
        df.columns = [c.strip().lower() for c in df.columns]
        df = df.reindex(columns=list(FEEDS_BY_NAME[feed].columns))
        frames.append(validate(feed, df, as_of).assign(_file=rank, _row=np.arange(1, len(df) + 1)))
    return pd.concat(frames, ignore_index=True)


# --- parsing one column ------------------------------------------------------------------------


def is_text(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.StringDtype) or s.dtype == object


def as_str(s: pd.Series) -> pd.Series:
    return s if isinstance(s.dtype, pd.StringDtype) else s.astype("str")


def blank(s: pd.Series) -> pd.Series:
    if not is_text(s):
        return s.isna()
    return s.isna() | (as_str(s).str.strip() == "")


def clean(s: pd.Series) -> pd.Series:
    """Trimmed text, empty as NA."""
    t = as_str(s).str.strip()
    return t.where(t != "")


def enum(s: pd.Series, default: str | None = None) -> pd.Series:
    t = clean(s).str.lower()
    return t if default is None else t.fillna(default)


def to_utc(naive: pd.Series) -> pd.Series:
    """Berlin wall time to UTC: a repeated hour is the summer one, a missing hour +01:00."""
    berlin = naive.dt.tz_localize(
        BERLIN, ambiguous=np.ones(len(naive), bool), nonexistent=pd.Timedelta(hours=1)
    )
    return berlin.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def timestamp(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    if pd.api.types.is_datetime64_dtype(s):
        return to_utc(s)
    t = clean(s).str.upper()
    aware = t.str.contains(OFFSET, regex=True, na=False)
    with_offset = pd.to_datetime(t.where(aware), format="ISO8601", utc=True, errors="coerce")
    naive = pd.to_datetime(t.where(~aware), format="ISO8601", errors="coerce")
    return with_offset.astype("datetime64[us, UTC]").fillna(to_utc(naive))


def berlin_date(ts: pd.Series) -> pd.Series:
    return ts.dt.tz_convert(BERLIN).dt.tz_localize(None).dt.normalize()


def day(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.StringDtype):
        t = clean(s)
        return pd.to_datetime(t.where(t.str.fullmatch(r"\d{4}-\d{2}-\d{2}")), errors="coerce")
    return pd.to_datetime(s, errors="coerce")


def integer(s: pd.Series) -> pd.Series:
    if is_text(s):
        t = clean(s)
        return pd.to_numeric(t.where(t.str.fullmatch(r"[+-]?\d{1,9}")), errors="coerce")
    return s.where(s % 1 == 0)


def boolean(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s.astype("boolean")
    if isinstance(s.dtype, pd.StringDtype):
        return enum(s).map(BOOLS).astype("boolean")
    return s.map({**BOOLS, True: True, False: False}).astype("boolean")


def list_items(s: pd.Series) -> pd.Series:
    """One row per non-empty, trimmed, lower-cased item, indexed by the row it came from."""
    items = (s.str.split(";") if isinstance(s.dtype, pd.StringDtype) else s).explode()
    items = items.astype("str").str.strip().str.lower()
    return items[items.notna() & (items != "")]


# --- validation of single rows -----------------------------------------------------------------


class Rules:
    """Collects ``column: rule`` reasons for the rows whose mask is true."""

    def __init__(self, raw: pd.DataFrame) -> None:
        self.raw = raw
        self.reason = pd.Series("", index=raw.index, dtype="str")

    def add(self, mask: pd.Series | np.ndarray, text: str) -> None:
        mask = pd.Series(mask, index=self.raw.index).fillna(False).astype(bool)
        if mask.any():
            self.reason[mask] = self.reason[mask] + text + "; "

    def required(self, col: str, text: str | None = None) -> pd.Series:
        missing = blank(self.raw[col])
        self.add(missing, text or f"{col}: required")
        return ~missing

    def unparsed(self, col: str, value: pd.Series, what: str) -> None:
        self.add(~blank(self.raw[col]) & value.isna(), f"{col}: {what}")

    def one_of(self, col: str, value: pd.Series, allowed: tuple[str, ...]) -> None:
        self.add(value.notna() & ~value.isin(allowed), f"{col}: not one of {', '.join(allowed)}")

    def int_range(self, col: str, value: pd.Series, lo: int, hi: int) -> None:
        bad = ~blank(self.raw[col]) & (value.isna() | (value < lo) | (value > hi))
        self.add(bad, f"{col}: not an integer {lo}-{hi}")

    def codes(self, col: str, vocab: set[str], required: bool, what: str) -> None:
        items = list_items(self.raw[col])
        if required:
            count = items.groupby(level=0).size().reindex(self.raw.index, fill_value=0)
            self.add(count == 0, f"{col}: required, at least one")
        bad = (~items.isin(vocab)).groupby(level=0).any()
        self.add(bad.reindex(self.raw.index, fill_value=False), f"{col}: {what}")


def validate_registrations(r: Rules, as_of: date) -> pd.DataFrame:
    raw = r.raw
    pid = raw["participant_id"].astype("str")
    r.required("participant_id")
    r.add(
        pid.notna() & (pid != "") & ~pid.str.fullmatch(r"[A-Za-z0-9_-]{1,64}").fillna(False),
        "participant_id: must be 1-64 characters of A-Z a-z 0-9 _ -",
    )
    out = pd.DataFrame({"participant_id": pid, "registered_at": timestamp(raw["registered_at"])})
    r.required("registered_at")
    r.unparsed("registered_at", out["registered_at"], "not an ISO 8601 timestamp")
    r.add(berlin_date(out["registered_at"]) > pd.Timestamp(as_of), "registered_at: after BT_AS_OF")
    out["group"] = enum(raw["group"])
    r.required("group")
    r.one_of("group", out["group"], GROUPS)
    out["city"] = clean(raw["city"])
    r.add(out["city"].isna(), "city: required")
    postcode = clean(raw["postcode"])
    r.add(
        postcode.notna() & ~postcode.str.fullmatch(r"\d{5}"), "postcode: must be exactly 5 digits"
    )
    out["birth_year"] = integer(raw["birth_year"])
    r.unparsed("birth_year", out["birth_year"], "not an integer")
    r.add(
        ~out["birth_year"].between(1910, as_of.year - 14) & out["birth_year"].notna(),
        f"birth_year: outside 1910 to {as_of.year - 14}",
    )
    out["gender"] = enum(raw["gender"], "unspecified")
    r.one_of("gender", out["gender"], GENDERS)
    langs = set(ISO_639_1)
    r.codes("languages", langs, True, "not an ISO 639-1 code")
    r.codes("learning_languages", langs, False, "not an ISO 639-1 code")
    r.codes("interests", {i.slug for i in interests()}, True, "not a known interest slug")
    r.codes("availability", set(AVAILABILITY_SLOTS), False, "not a slot")
    r.one_of("gender_preference", enum(raw["gender_preference"], "any"), GENDER_PREFERENCES)
    r.unparsed("arrival_year", integer(raw["arrival_year"]), "not an integer")
    consent = boolean(raw["consent_research"])
    r.required("consent_research")
    r.unparsed("consent_research", consent, "not a boolean")
    r.one_of("status", enum(raw["status"], "waiting"), STATUSES)
    return out


def validate_matches(r: Rules, as_of: date) -> pd.DataFrame:
    raw = r.raw
    out = raw[["match_id", "newcomer_id", "local_id"]].astype("str")
    for col in ("match_id", "newcomer_id", "local_id", "matched_at"):
        r.required(col)
    out["matched_at"] = timestamp(raw["matched_at"])
    out["ended_at"] = timestamp(raw["ended_at"])
    r.unparsed("matched_at", out["matched_at"], "not an ISO 8601 timestamp")
    r.unparsed("ended_at", out["ended_at"], "not an ISO 8601 timestamp")
    r.add(berlin_date(out["matched_at"]) > pd.Timestamp(as_of), "matched_at: after BT_AS_OF")
    r.add(out["ended_at"] < out["matched_at"], "ended_at: before matched_at")
    r.one_of("end_reason", enum(raw["end_reason"]), END_REASONS)
    return out


def validate_feedback(r: Rules, as_of: date) -> pd.DataFrame:
    raw = r.raw
    out = raw[["feedback_id", "participant_id"]].astype("str")
    r.required("feedback_id")
    r.required("participant_id")
    out["event_kind"] = kind = enum(raw["event_kind"])
    r.required("event_kind")
    r.one_of("event_kind", kind, EVENT_KINDS)
    out["match_id"], out["event_id"] = clean(raw["match_id"]), clean(raw["event_id"])
    tandem, group = kind == "tandem_meeting", kind == "group_event"
    r.add(tandem & out["match_id"].isna(), "match_id: required for a tandem_meeting")
    r.add(group & out["match_id"].notna(), "match_id: must be empty for a group_event")
    r.add(group & out["event_id"].isna(), "event_id: required for a group_event")
    out["event_date"] = day(raw["event_date"])
    r.required("event_date")
    r.unparsed("event_date", out["event_date"], "not an ISO 8601 date")
    r.add(out["event_date"] > pd.Timestamp(as_of), "event_date: after BT_AS_OF")
    out["attended"] = boolean(raw["attended"])
    r.required("attended")
    r.unparsed("attended", out["attended"], "not a boolean")
    out["rating"] = integer(raw["rating"])
    r.int_range("rating", out["rating"], 1, 5)
    out["would_meet_again"] = boolean(raw["would_meet_again"])
    r.unparsed("would_meet_again", out["would_meet_again"], "not a boolean")
    out["new_contacts_other_group"] = integer(raw["new_contacts_other_group"])
    r.int_range("new_contacts_other_group", out["new_contacts_other_group"], 0, 50)
    r.add(raw["comment"].astype("str").str.len() > 2000, "comment: longer than 2000 characters")
    submitted = timestamp(raw["submitted_at"])
    r.required("submitted_at")
    r.unparsed("submitted_at", submitted, "not an ISO 8601 timestamp")
    return out


def validate_surveys(r: Rules, as_of: date) -> pd.DataFrame:
    raw = r.raw
    out = pd.DataFrame({"participant_id": raw["participant_id"].astype("str")})
    r.required("participant_id")
    out["wave"] = enum(raw["wave"])
    r.required("wave")
    r.one_of("wave", out["wave"], WAVES)
    out["answered_at"] = timestamp(raw["answered_at"])
    r.required("answered_at")
    r.unparsed("answered_at", out["answered_at"], "not an ISO 8601 timestamp")
    for col, (lo, hi) in SURVEY_ITEMS.items():
        out[col] = integer(raw[col])
        r.int_range(col, out[col], lo, hi)
    return out


def validate_erasures(r: Rules, as_of: date) -> pd.DataFrame:
    out = pd.DataFrame({"participant_id": r.raw["participant_id"].astype("str")})
    r.required("participant_id")
    r.required("requested_at")
    r.unparsed("requested_at", timestamp(r.raw["requested_at"]), "not an ISO 8601 timestamp")
    return out


VALIDATORS: dict[str, Callable[[Rules, date], pd.DataFrame]] = {
    "registrations": validate_registrations,
    "matches": validate_matches,
    "feedback": validate_feedback,
    "surveys": validate_surveys,
    "erasures": validate_erasures,
}


def validate(feed: str, raw: pd.DataFrame, as_of: date) -> pd.DataFrame:
    rules = Rules(raw.reset_index(drop=True))
    out = VALIDATORS[feed](rules, as_of)
    return out.assign(reason=rules.reason)


# --- erasure, cross-feed rules, de-duplication -------------------------------------------------


def dedup(df: pd.DataFrame, key: list[str], counts: dict[str, int]) -> pd.DataFrame:
    """Valid rows, the latest per key; fills the reconciliation counts."""
    valid = df[df["reason"] == ""]
    core = valid.sort_values(["_file", "_row"]).drop_duplicates(key, keep="last")
    counts.update(
        read=len(df),
        quarantined=len(df) - len(valid),
        core=len(core),
        superseded=len(valid) - len(core),
    )
    return core


def fail(df: pd.DataFrame, mask: pd.Series, text: str) -> None:
    mask = mask.fillna(False).astype(bool)
    df.loc[mask, "reason"] = df.loc[mask, "reason"] + text + "; "


def load_core(
    inbox: Path, as_of: date
) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, int]]]:
    counts: dict[str, dict[str, int]] = {f: {} for f in FEEDS_BY_NAME}
    erasures = dedup(read_feed(inbox, "erasures", as_of), ["participant_id"], counts["erasures"])
    gone = set(erasures["participant_id"])
    raw = {
        f: read_feed(inbox, f, as_of) for f in ("registrations", "matches", "feedback", "surveys")
    }
    m = raw["matches"]
    gone_matches = set(m.loc[m["newcomer_id"].isin(gone) | m["local_id"].isin(gone), "match_id"])
    for feed, df in raw.items():
        drop = df["match_id"].isin(gone_matches) if "match_id" in df else False
        for col in ("participant_id", "newcomer_id", "local_id"):
            if col in df:
                drop = drop | df[col].isin(gone)
        raw[feed] = df[~drop].reset_index(drop=True)

    p = dedup(raw["registrations"], ["participant_id"], counts["registrations"])
    group = p.set_index("participant_id")["group"]
    registered = p.set_index("participant_id")["registered_at"]
    m = raw["matches"]
    for side, want in (("newcomer_id", "newcomer"), ("local_id", "local")):
        g = m[side].map(group)
        fail(m, g.isna(), f"{side}: not a registered participant")
        fail(m, g.notna() & (g != want), f"{side}: registered participant is not a {want}")
        fail(m, m["matched_at"] < m[side].map(registered), "matched_at: before a registration")
    m = dedup(m, ["match_id"], counts["matches"])

    fb = raw["feedback"]
    fail(fb, ~fb["participant_id"].isin(p["participant_id"]), "participant_id: not registered")
    tandem = fb["event_kind"] == "tandem_meeting"
    known = m.set_index("match_id")
    newcomer, local = (
        fb["match_id"].map(known["newcomer_id"]),
        fb["match_id"].map(known["local_id"]),
    )
    fail(fb, tandem & fb["match_id"].notna() & newcomer.isna(), "match_id: not a known match")
    member = (fb["participant_id"] == newcomer) | (fb["participant_id"] == local)
    fail(fb, tandem & newcomer.notna() & ~member, "participant_id: not one of the match's two")
    d0 = berlin_date(fb["match_id"].map(known["matched_at"]))
    fail(fb, tandem & (fb["event_date"] < d0), "event_date: before the match's matched_at")
    fb = dedup(fb, ["feedback_id"], counts["feedback"])

    sv = raw["surveys"]
    fail(sv, ~sv["participant_id"].isin(p["participant_id"]), "participant_id: not registered")
    sv = dedup(sv, ["participant_id", "wave"], counts["surveys"])
    return {"participants": p, "matches": m, "feedback": fb, "surveys": sv}, counts


# --- metrics -----------------------------------------------------------------------------------


def scoped(
    scope: tuple[list[str], pd.Timestamp, pd.Timestamp], df: pd.DataFrame, col: str
) -> pd.DataFrame:
    """Rows whose ``city`` is one of the funder's and whose date ``col`` is in period."""
    cities, start, end = scope
    return df[df["city"].isin(cities) & df[col].between(start, end)]


def share(mask: pd.Series) -> dict[str, float | int | None]:
    return {"value": float(mask.mean()) if len(mask) else None, "n": len(mask)}


def count(n: int) -> dict[str, float | int | None]:
    return {"value": float(n), "n": n}


def metrics(core: dict[str, pd.DataFrame], funders: list[dict], as_of: date) -> dict:
    p, m, fb = core["participants"], core["matches"], core["feedback"]
    city = p.set_index("participant_id")["city"]
    p = p.assign(reg_date=berlin_date(p["registered_at"]))
    sides = pd.concat(
        [
            m[["newcomer_id", "matched_at"]].set_axis(["participant_id", "matched_at"], axis=1),
            m[["local_id", "matched_at"]].set_axis(["participant_id", "matched_at"], axis=1),
        ]
    )
    p["first_at"] = p["participant_id"].map(sides.groupby("participant_id")["matched_at"].min())
    p["first_date"] = berlin_date(p["first_at"])
    m = m.assign(city=m["newcomer_id"].map(city), d0=berlin_date(m["matched_at"]))

    attended = fb["attended"].fillna(False).astype(bool)
    tandem_rows = fb[(fb["event_kind"] == "tandem_meeting") & attended & fb["match_id"].notna()]
    meetings = tandem_rows[["match_id", "event_date"]].drop_duplicates()
    meetings = meetings.merge(m[["match_id", "d0", "city"]], on="match_id")
    days = (meetings["event_date"] - meetings["d0"]).dt.days
    first28 = meetings[days.between(0, 28)]
    window = meetings[days.between(0, 90)].groupby("match_id")["event_date"]
    stats = window.agg(["nunique", "min", "max"])
    sustained = stats.index[(stats["nunique"] >= 3) & ((stats["max"] - stats["min"]).dt.days >= 42)]
    m["first28"] = m["match_id"].isin(first28["match_id"])
    m["sustained"] = m["match_id"].isin(sustained)

    tandem_rows = tandem_rows.assign(
        city=tandem_rows["match_id"].map(m.set_index("match_id")["city"])
    )
    group_rows = fb[(fb["event_kind"] == "group_event") & attended]
    group_rows = group_rows.assign(city=group_rows["participant_id"].map(city))
    rated = fb[fb["rating"].notna()].assign(city=lambda d: d["participant_id"].map(city))
    wma = fb[(fb["event_kind"] == "tandem_meeting") & fb["would_meet_again"].notna()]
    wma = wma.assign(city=wma["participant_id"].map(city))

    out: dict[str, dict] = {}
    for f in funders:
        start, end = pd.Timestamp(f["period_start"]), pd.Timestamp(min(f["period_end"], as_of))
        scope = (list(f["cities"]), start, end)

        reg = scoped(scope, p, "reg_date")
        ms = scoped(scope, m, "d0")
        due = reg[reg["reg_date"] <= end - 30 * DAY]
        first = scoped(scope, p[p["first_at"].notna()], "first_date")
        elapsed = (first["first_at"] - first["registered_at"]).dt.total_seconds() / 86_400
        tandem = scoped(scope, tandem_rows, "event_date")
        group = scoped(scope, group_rows, "event_date")
        rates = scoped(scope, rated, "event_date")["rating"]
        answers = scoped(scope, wma, "event_date")["would_meet_again"].astype(bool)
        out[f["id"]] = {
            "registrations": count(len(reg)),
            "matches_made": count(len(ms)),
            "participants_matched": count(pd.concat([ms["newcomer_id"], ms["local_id"]]).nunique()),
            "match_rate_30d": share(
                ((due["first_at"] - due["registered_at"]) <= 30 * DAY).fillna(False)
            ),
            "median_days_to_match": {
                "value": float(elapsed.median()) if len(elapsed) else None,
                "n": len(elapsed),
            },
            "tandem_meetings": count(len(scoped(scope, meetings, "event_date"))),
            "group_event_visits": count(len(group.drop_duplicates(["participant_id", "event_id"]))),
            "first_meeting_rate": share(ms.loc[ms["d0"] <= end - 28 * DAY, "first28"]),
            "sustained_rate": share(ms.loc[ms["d0"] <= end - 90 * DAY, "sustained"]),
            "mean_rating": {
                "value": float(rates.mean()) if len(rates) else None,
                "n": len(rates),
            },
            "would_meet_again_share": share(answers),
            "cross_group_ties": {
                "value": float(
                    tandem["match_id"].nunique() + group["new_contacts_other_group"].fillna(0).sum()
                ),
                "n": pd.concat([tandem["participant_id"], group["participant_id"]]).nunique(),
            },
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inbox", type=Path, required=True)
    parser.add_argument("--funders", type=Path, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 25))
    parser.add_argument("--out", type=Path, required=True, help="JSON with metrics and counts")
    args = parser.parse_args(argv)
    core, counts = load_core(args.inbox, args.as_of)
    funders = tomllib.loads(args.funders.read_text(encoding="utf-8"))["funder"]
    result = {"counts": counts, "metrics": metrics(core, funders, args.as_of)}
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
