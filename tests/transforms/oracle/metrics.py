"""Oracle for ``marts.impact_metrics``: every metric x funder x segment of METRICS.md.

Deliberately plain: rows are dicts, every metric is a loop over its units, every cell
is recomputed from scratch from the units that fall into it. Nothing here is shared
with ``transforms``. Quotes in comments are from METRICS.md unless said otherwise.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from scipy import stats

BERLIN = ZoneInfo("Europe/Berlin")
Z = 1.959963984540054

ITEMS = (
    "belonging",
    "trust_people",
    "outgroup_contact",
    "outgroup_attitude",
    "loneliness",
    "diversity_acceptance",
)
WAVES = ("3m", "12m")

METRIC_IDS: tuple[str, ...] = (
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
    *(f"delta_{item}_{w}" for w in WAVES for item in ITEMS),
    *(f"improved_belonging_share_{w}" for w in WAVES),
    "tandem_survival_182d",
    "proposal_coverage",
    "mean_proposal_score",
    "score_auc_sustained",
)

# "Metrics over participants (...) also have group=, gender=, age=".
PARTICIPANT_METRICS = {
    "registrations",
    "participants_matched",
    "match_rate_30d",
    "median_days_to_match",
    *(f"delta_{item}_{w}" for w in WAVES for item in ITEMS),
    *(f"improved_belonging_share_{w}" for w in WAVES),
}
GROUPS = ("newcomer", "local")
GENDERS = ("female", "male", "diverse", "unspecified")
AGE_BANDS = ("<25", "25-39", "40-59", "60+", "unknown")


@dataclass(frozen=True)
class OracleFunder:
    id: str
    cities: tuple[str, ...]
    period_start: dt.date
    period_end: dt.date


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------


def rows(frame: Any) -> list[dict]:
    """A Polars DataFrame/LazyFrame (or a list of dicts) as a list of dicts."""
    if frame is None:
        return []
    if isinstance(frame, list):
        return [dict(r) for r in frame]
    if hasattr(frame, "collect"):
        frame = frame.collect()
    return frame.to_dicts()


def bdate(ts: dt.datetime | dt.date) -> dt.date:
    """ "Every timestamp ... is first turned into its Europe/Berlin calendar date"."""
    if isinstance(ts, dt.datetime):
        if ts.tzinfo is None:  # core stores UTC instants
            ts = ts.replace(tzinfo=dt.UTC)
        return ts.astimezone(BERLIN).date()
    return ts


def utc(ts: dt.datetime) -> dt.datetime:
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts


def age_band(birth_year: int | None, end: dt.date) -> str:
    if birth_year is None:
        return "unknown"
    age = end.year - birth_year
    if age < 25:
        return "<25"
    if age < 40:
        return "25-39"
    if age < 60:
        return "40-59"
    return "60+"


# ---------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------

Cell = tuple[float | None, int, float | None, float | None]  # value, n, ci_low, ci_high


def count_cell(n: int) -> Cell:
    return (float(n), n, None, None)


def share_cell(k: int, n: int) -> Cell:
    """Share with its Wilson interval; n = 0 gives null value and CI."""
    if n == 0:
        return (None, 0, None, None)
    p = k / n
    z2 = Z * Z
    denom = 1 + z2 / n
    center = (p + z2 / (2 * n)) / denom
    half = Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    low, high = center - half, center + half
    if k == 0:
        low = 0.0
    if k == n:
        high = 1.0
    return (p, n, min(1.0, max(0.0, low)), min(1.0, max(0.0, high)))


def mean_cell(values: Sequence[float]) -> Cell:
    n = len(values)
    if n == 0:
        return (None, 0, None, None)
    mean = math.fsum(values) / n
    if n < 2:
        return (mean, n, None, None)
    sd = statistics.stdev(values)
    if sd == 0:
        return (mean, n, mean, mean)
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return (mean, n, mean - half, mean + half)


def median_cell(values: Sequence[float]) -> Cell:
    if not values:
        return (None, 0, None, None)
    s = sorted(values)
    n = len(s)
    mid = n // 2
    med = s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2
    return (med, n, None, None)


def km_cell(units: Sequence[tuple[int, bool]], horizon: int = 182) -> Cell:
    """Kaplan-Meier S(horizon) with a plain Greenwood 95% interval.

    ``units`` are ``(duration_days, ended)``. A censored duration equal to an event time
    stays in the risk set (risk set at t = durations >= t).
    """
    n = len(units)
    if n == 0:
        return (None, 0, None, None)
    event_times = sorted({d for d, e in units if e and d <= horizon})
    s = 1.0
    gw = 0.0
    for t in event_times:
        at_risk = sum(1 for d, _ in units if d >= t)
        d_t = sum(1 for d, e in units if e and d == t)
        s *= 1 - d_t / at_risk
        if at_risk > d_t:
            gw += d_t / (at_risk * (at_risk - d_t))
    if s == 0:
        return (0.0, n, 0.0, 0.0)
    half = Z * math.sqrt(s * s * gw)
    return (s, n, max(0.0, s - half), min(1.0, s + half))


def auc_cell(units: Sequence[tuple[float, bool]]) -> Cell:
    n = len(units)
    pos = [round(s, 12) for s, y in units if y]
    neg = [round(s, 12) for s, y in units if not y]
    if not pos or not neg:
        return (None, n, None, None)
    total = 0.0
    for a in pos:
        for b in neg:
            if a > b:
                total += 1
            elif a == b:
                total += 0.5
    return (total / (len(pos) * len(neg)), n, None, None)


# ---------------------------------------------------------------------------------------
# MATCHING.md score (default weights, no eligibility rules)
# ---------------------------------------------------------------------------------------


def score(newcomer: dict, local: dict) -> float:
    a_int, b_int = set(newcomer["interests"] or []), set(local["interests"] or [])
    interests = len(a_int & b_int) / len(a_int | b_int) if (a_int | b_int) else 0.0
    n_lang, l_lang = set(newcomer["languages"] or []), set(local["languages"] or [])
    n_learn = set(newcomer["learning_languages"] or [])
    l_learn = set(local["learning_languages"] or [])
    a = 1.0 if n_learn & l_lang else 0.0
    b = 1.0 if l_learn & n_lang else 0.0
    language = (a + b) / 2
    n_av, l_av = set(newcomer["availability"] or []), set(local["availability"] or [])
    availability = len(n_av & l_av) / min(len(n_av), len(l_av)) if n_av and l_av else 0.5
    nd, ld = newcomer["district"], local["district"]
    district = 1.0 if nd is not None and ld is not None and nd == ld else 0.0
    nb, lb = newcomer["birth_year"], local["birth_year"]
    age = 1 - min(abs(nb - lb), 40) / 40 if nb is not None and lb is not None else 0.5
    return 0.40 * interests + 0.25 * language + 0.15 * availability + 0.10 * district + 0.10 * age


# ---------------------------------------------------------------------------------------
# Segments and disclosure control
# ---------------------------------------------------------------------------------------


def segment_list(metric_id: str, cities: Sequence[str]) -> list[tuple[str, str | None]]:
    """Fixed segment list: (segment, family) in the spec's order; `all` is in no family."""
    segs: list[tuple[str, str | None]] = [("all", None)]
    seen: list[str] = []
    for c in cities:
        if c not in seen:
            seen.append(c)
    segs += [(f"city={c}", "city") for c in seen]
    if metric_id in PARTICIPANT_METRICS:
        segs += [(f"group={g}", "group") for g in GROUPS]
        segs += [(f"gender={g}", "gender") for g in GENDERS]
        segs += [(f"age={b}", "age") for b in AGE_BANDS]
    return segs


def suppress(cells: list[tuple[str, str | None, Cell]]) -> list[bool]:
    """Primary (0 < n < 5) and one pass of secondary suppression per family."""
    flags = [0 < c[1] < 5 for _, _, c in cells]
    primary = list(flags)
    families: dict[str, list[int]] = {}
    for i, (_, fam, _) in enumerate(cells):
        if fam is not None:
            families.setdefault(fam, []).append(i)
    for idx in families.values():
        prim = [i for i in idx if primary[i]]
        if len(prim) != 1:
            continue
        others = [i for i in idx if i != prim[0] and cells[i][2][1] > 0]
        if not others:
            continue
        best = min(others, key=lambda i: (cells[i][2][1], idx.index(i)))
        flags[best] = True
    return flags


# ---------------------------------------------------------------------------------------
# The metrics
# ---------------------------------------------------------------------------------------


class _Data:
    def __init__(self, participants, matches, feedback, surveys, proposals, match_scores, as_of):
        self.as_of = as_of
        self.people = {p["participant_id"]: p for p in rows(participants)}
        self.matches = rows(matches)
        for m in self.matches:
            m["matched_at"] = utc(m["matched_at"])
            m["d0"] = bdate(m["matched_at"])
            nc = self.people.get(m["newcomer_id"])
            m["city"] = nc["city"] if nc is not None else None
        for p in self.people.values():
            p["registered_at"] = utc(p["registered_at"])
            p["reg_date"] = bdate(p["registered_at"])
        self.match_by_id = {m["match_id"]: m for m in self.matches}
        self.feedback = rows(feedback)
        self.surveys = rows(surveys)
        self.proposals = rows(proposals)
        if match_scores is None:
            self.scores = {}
            for m in self.matches:
                nc, lc = self.people.get(m["newcomer_id"]), self.people.get(m["local_id"])
                if nc is not None and lc is not None:
                    self.scores[m["match_id"]] = score(nc, lc)
        else:
            self.scores = {r["match_id"]: r["score"] for r in rows(match_scores)}
        # first match of every participant (any city, ended or not)
        self.first_match: dict[str, dt.datetime] = {}
        for m in self.matches:
            for pid in (m["newcomer_id"], m["local_id"]):
                cur = self.first_match.get(pid)
                if cur is None or m["matched_at"] < cur:
                    self.first_match[pid] = m["matched_at"]
        # attended tandem meeting dates per match (either partner's row)
        self.meet_dates: dict[str, set[dt.date]] = {}
        for f in self.feedback:
            if f["event_kind"] == "tandem_meeting" and f["attended"] is True:
                self.meet_dates.setdefault(f["match_id"], set()).add(f["event_date"])


def _cells_for(
    metric_id: str,
    funder: OracleFunder,
    end: dt.date,
    units: Iterable[Any],
    person_of: Callable[[Any], dict | None] | None,
    city_of: Callable[[Any], str | None],
    compute: Callable[[list[Any]], Cell],
) -> list[tuple[str, str | None, Cell]]:
    units = list(units)
    out = []
    for seg, fam in segment_list(metric_id, funder.cities):
        if seg == "all":
            sel = units
        elif fam == "city":
            c = seg[len("city=") :]
            sel = [u for u in units if city_of(u) == c]
        else:
            key, val = seg.split("=", 1)

            def attr(u, key=key):
                p = person_of(u)
                if p is None:
                    return None
                if key == "age":
                    return age_band(p["birth_year"], end)
                return p[key]

            sel = [u for u in units if attr(u) == val]
        out.append((seg, fam, compute(sel)))
    return out


def _funder_metrics(d: _Data, f: OracleFunder) -> dict[str, list[tuple[str, str | None, Cell]]]:
    as_of = d.as_of
    end = min(f.period_end, as_of)
    cities = set(f.cities)

    def in_period(x: dt.date) -> bool:
        return f.period_start <= x <= end

    def in_scope_person(pid: str) -> bool:
        p = d.people.get(pid)
        return p is not None and p["city"] in cities

    people_in_scope = [p for p in d.people.values() if p["city"] in cities]
    matches_in_scope = [m for m in d.matches if m["city"] in cities]
    made_in_period = [m for m in matches_in_scope if in_period(m["d0"])]
    pcity = lambda p: p["city"]  # noqa: E731
    ident = lambda p: p  # noqa: E731
    res: dict[str, list] = {}

    def distinct_count(keys_fn):
        return lambda sel: count_cell(len({keys_fn(u) for u in sel}))

    # --- outputs ------------------------------------------------------------------------
    res["registrations"] = _cells_for(
        "registrations",
        f,
        end,
        [p for p in people_in_scope if in_period(p["reg_date"])],
        ident,
        pcity,
        lambda sel: count_cell(len(sel)),
    )
    res["matches_made"] = _cells_for(
        "matches_made",
        f,
        end,
        made_in_period,
        None,
        lambda m: m["city"],
        lambda sel: count_cell(len(sel)),
    )
    pm_units = {}
    for m in made_in_period:
        for pid in (m["newcomer_id"], m["local_id"]):
            pm_units[pid] = d.people.get(pid) or {"participant_id": pid, "city": None}
    res["participants_matched"] = _cells_for(
        "participants_matched",
        f,
        end,
        list(pm_units.values()),
        lambda p: p if "group" in p else None,
        pcity,
        distinct_count(lambda p: p["participant_id"]),
    )
    mr_units = []
    for p in people_in_scope:
        if in_period(p["reg_date"]) and p["reg_date"] <= end - dt.timedelta(days=30):
            fm = d.first_match.get(p["participant_id"])
            ok = fm is not None and fm - p["registered_at"] <= dt.timedelta(days=30)
            mr_units.append((p, ok))
    res["match_rate_30d"] = _cells_for(
        "match_rate_30d",
        f,
        end,
        mr_units,
        lambda u: u[0],
        lambda u: u[0]["city"],
        lambda sel: share_cell(sum(1 for _, ok in sel if ok), len(sel)),
    )
    md_units = []
    for p in people_in_scope:
        fm = d.first_match.get(p["participant_id"])
        if fm is not None and in_period(bdate(fm)):
            md_units.append((p, (fm - p["registered_at"]).total_seconds() / 86400))
    res["median_days_to_match"] = _cells_for(
        "median_days_to_match",
        f,
        end,
        md_units,
        lambda u: u[0],
        lambda u: u[0]["city"],
        lambda sel: median_cell([v for _, v in sel]),
    )
    tm_units = set()
    for fb in d.feedback:
        if fb["event_kind"] != "tandem_meeting" or fb["attended"] is not True:
            continue
        m = d.match_by_id.get(fb["match_id"])
        if m is None or m["city"] not in cities or not in_period(fb["event_date"]):
            continue
        tm_units.add((fb["match_id"], fb["event_date"], m["city"]))
    res["tandem_meetings"] = _cells_for(
        "tandem_meetings",
        f,
        end,
        tm_units,
        None,
        lambda u: u[2],
        distinct_count(lambda u: (u[0], u[1])),
    )
    ge_units = set()
    for fb in d.feedback:
        if fb["event_kind"] != "group_event" or fb["attended"] is not True:
            continue
        if not in_scope_person(fb["participant_id"]) or not in_period(fb["event_date"]):
            continue
        ge_units.add((fb["participant_id"], fb["event_id"], d.people[fb["participant_id"]]["city"]))
    res["group_event_visits"] = _cells_for(
        "group_event_visits",
        f,
        end,
        ge_units,
        None,
        lambda u: u[2],
        distinct_count(lambda u: (u[0], u[1])),
    )

    # --- outcomes -----------------------------------------------------------------------
    def sustained(m) -> bool:
        d0 = m["d0"]
        dates = sorted(
            x for x in d.meet_dates.get(m["match_id"], ()) if d0 <= x <= d0 + dt.timedelta(days=90)
        )
        return len(dates) >= 3 and (dates[-1] - dates[0]).days >= 42

    fm_units = []
    for m in made_in_period:
        if m["d0"] <= end - dt.timedelta(days=28):
            d0 = m["d0"]
            ok = any(
                d0 <= x <= d0 + dt.timedelta(days=28) for x in d.meet_dates.get(m["match_id"], ())
            )
            fm_units.append((m, ok))
    res["first_meeting_rate"] = _cells_for(
        "first_meeting_rate",
        f,
        end,
        fm_units,
        None,
        lambda u: u[0]["city"],
        lambda sel: share_cell(sum(1 for _, ok in sel if ok), len(sel)),
    )
    sus_units = [
        (m, sustained(m)) for m in made_in_period if m["d0"] <= end - dt.timedelta(days=90)
    ]
    res["sustained_rate"] = _cells_for(
        "sustained_rate",
        f,
        end,
        sus_units,
        None,
        lambda u: u[0]["city"],
        lambda sel: share_cell(sum(1 for _, ok in sel if ok), len(sel)),
    )
    rating_units = []
    wma_units = []
    for fb in d.feedback:
        if not in_scope_person(fb["participant_id"]) or not in_period(fb["event_date"]):
            continue
        city = d.people[fb["participant_id"]]["city"]
        if fb["rating"] is not None:
            rating_units.append((city, fb["rating"]))
        if fb["event_kind"] == "tandem_meeting" and fb["would_meet_again"] is not None:
            wma_units.append((city, fb["would_meet_again"]))
    res["mean_rating"] = _cells_for(
        "mean_rating",
        f,
        end,
        rating_units,
        None,
        lambda u: u[0],
        lambda sel: mean_cell([float(v) for _, v in sel]),
    )
    res["would_meet_again_share"] = _cells_for(
        "would_meet_again_share",
        f,
        end,
        wma_units,
        None,
        lambda u: u[0],
        lambda sel: share_cell(sum(1 for _, v in sel if v is True), len(sel)),
    )
    cg_units = []  # (city, kind, match_id or contacts, participant_id)
    for fb in d.feedback:
        if fb["attended"] is not True or not in_period(fb["event_date"]):
            continue
        if fb["event_kind"] == "tandem_meeting":
            m = d.match_by_id.get(fb["match_id"])
            if m is not None and m["city"] in cities:
                cg_units.append((m["city"], "t", fb["match_id"], fb["participant_id"]))
        elif fb["event_kind"] == "group_event" and in_scope_person(fb["participant_id"]):
            c = fb["new_contacts_other_group"] or 0
            cg_units.append((d.people[fb["participant_id"]]["city"], "g", c, fb["participant_id"]))

    def cg_compute(sel):
        n = len({u[3] for u in sel})
        value = len({u[2] for u in sel if u[1] == "t"}) + sum(u[2] for u in sel if u[1] == "g")
        return (float(value), n, None, None)

    res["cross_group_ties"] = _cells_for(
        "cross_group_ties", f, end, cg_units, None, lambda u: u[0], cg_compute
    )

    # --- survey change ------------------------------------------------------------------
    by_wave: dict[tuple[str, str], dict] = {}
    for s in d.surveys:
        by_wave[(s["participant_id"], s["wave"])] = s

    def item_value(s: dict, item: str):
        if item == "loneliness":
            parts = [s["lonely_1"], s["lonely_2"], s["lonely_3"]]
            return None if any(x is None for x in parts) else sum(parts)
        return s[item]

    for w in WAVES:
        pairs: dict[str, list] = {item: [] for item in ITEMS}
        for p in people_in_scope:
            if p["consent_research"] is not True:
                continue
            base = by_wave.get((p["participant_id"], "baseline"))
            fol = by_wave.get((p["participant_id"], f"followup_{w}"))
            if base is None or fol is None or not in_period(bdate(utc(fol["answered_at"]))):
                continue
            for item in ITEMS:
                a, b = item_value(base, item), item_value(fol, item)
                if a is not None and b is not None:
                    pairs[item].append((p, b - a))
        for item in ITEMS:
            mid = f"delta_{item}_{w}"
            res[mid] = _cells_for(
                mid,
                f,
                end,
                pairs[item],
                lambda u: u[0],
                lambda u: u[0]["city"],
                lambda sel: mean_cell([float(v) for _, v in sel]),
            )
        mid = f"improved_belonging_share_{w}"
        res[mid] = _cells_for(
            mid,
            f,
            end,
            pairs["belonging"],
            lambda u: u[0],
            lambda u: u[0]["city"],
            lambda sel: share_cell(sum(1 for _, v in sel if v >= 1), len(sel)),
        )

    # --- impact -------------------------------------------------------------------------
    km_units = []
    for m in made_in_period:
        d0 = m["d0"]
        dates = [x for x in d.meet_dates.get(m["match_id"], ()) if x <= as_of]
        last = max(dates) if dates else d0
        ended = m["ended_at"] is not None or (as_of - last).days > 60
        dur = (last - d0).days if ended else (as_of - d0).days
        km_units.append((m["city"], dur, ended))
    res["tandem_survival_182d"] = _cells_for(
        "tandem_survival_182d",
        f,
        end,
        km_units,
        None,
        lambda u: u[0],
        lambda sel: km_cell([(u[1], u[2]) for u in sel]),
    )

    # --- matching quality ---------------------------------------------------------------
    open_match = set()
    for m in d.matches:
        if m["ended_at"] is None:
            open_match.add(m["newcomer_id"])
            open_match.add(m["local_id"])
    proposed = set()
    for pr in d.proposals:
        proposed.add(pr["newcomer_id"])
        proposed.add(pr["local_id"])
    pc_units = [
        (p, p["participant_id"] in proposed)
        for p in people_in_scope
        if p["status"] == "waiting" and p["participant_id"] not in open_match
    ]
    res["proposal_coverage"] = _cells_for(
        "proposal_coverage",
        f,
        end,
        pc_units,
        None,
        lambda u: u[0]["city"],
        lambda sel: share_cell(sum(1 for _, ok in sel if ok), len(sel)),
    )
    ps_units = []
    for pr in d.proposals:
        nc = d.people.get(pr["newcomer_id"])
        if nc is not None and nc["city"] in cities:
            ps_units.append((nc["city"], pr["score"]))
    res["mean_proposal_score"] = _cells_for(
        "mean_proposal_score",
        f,
        end,
        ps_units,
        None,
        lambda u: u[0],
        lambda sel: mean_cell([v for _, v in sel]),
    )
    auc_units = [(m["city"], d.scores[m["match_id"]], ok) for m, ok in sus_units]
    res["score_auc_sustained"] = _cells_for(
        "score_auc_sustained",
        f,
        end,
        auc_units,
        None,
        lambda u: u[0],
        lambda sel: auc_cell([(u[1], u[2]) for u in sel]),
    )
    return res


def oracle_impact_metrics(
    participants: Any,
    matches: Any,
    feedback: Any,
    surveys: Any,
    proposals: Any,
    match_scores: Any,
    funders: Sequence[Any],
    as_of: dt.date,
) -> dict[tuple[str, str, str], dict]:
    """{(funder_id, metric_id, segment): {value, n, ci_low, ci_high, suppressed}}.

    ``match_scores`` may be None: the oracle then scores every match itself (MATCHING.md).
    """
    if isinstance(as_of, dt.datetime):
        as_of = bdate(as_of if as_of.tzinfo else as_of.replace(tzinfo=BERLIN))
    d = _Data(participants, matches, feedback, surveys, proposals, match_scores, as_of)
    out: dict[tuple[str, str, str], dict] = {}
    for fu in funders:
        f = OracleFunder(fu.id, tuple(fu.cities), fu.period_start, fu.period_end)
        res = _funder_metrics(d, f)
        assert set(res) == set(METRIC_IDS)
        for mid in METRIC_IDS:
            cells = res[mid]
            flags = suppress(cells)
            for (seg, _, (value, n, lo, hi)), sup in zip(cells, flags, strict=True):
                out[(f.id, mid, seg)] = {
                    "value": value,
                    "n": n,
                    "ci_low": lo,
                    "ci_high": hi,
                    "suppressed": sup,
                }
    return out
