"""The annual report from its facts (pure): every agreement classified by the definitions
in `reports.data` (README "Annual report"), the lists, counts and data-quality rows
assembled, and the data hash added."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from models import normalize_name
from reports.canonical import data_hash
from reports.facts import CLOSED, ONE_DAY, SIGNED_STATES, AgreementFacts, Facts, OrgFacts, Period
from workflow.lifecycle import IN_FORCE, ON_ITS_WAY, RecordEvent, State

#: The data-quality codes, in the order a row lists them (labels: `reports.i18n`).
PROBLEMS = ("no_start_date", "no_expiry_date", "no_signature_date", "no_owner",
            "partner_without_country", "mixed_script")


def build(period: Period, facts: Facts, *, institution: str | None = None,
          department: str | None = None,
          mobility_places: list[dict[str, Any]] | None = None,
          activities: dict[str, Any] | None = None) -> dict[str, Any]:
    """Classify every agreement and assemble the lists, counts and hash.

    `mobility_places`: the rows of `fetch_mobility_places` (kept as they are);
    `activities`: the sections of `fetch_activities` (merged in before the hash).
    """
    home_key = normalize_name(institution) if institution else None
    home_ids = {o.id for o in facts.orgs.values() if o.name_key == home_key}
    kept = sorted((f for f in facts.agreements
                   if not (f.state_end in CLOSED and f.since_end < period.start)),
                  key=lambda f: (f.ref_year, f.ref_seq, f.ref))
    rows: list[dict[str, Any]] = []
    by_id: dict[int, dict[str, Any]] = {}
    partner_ids: dict[int, list[int]] = {}
    renewed: list[dict[str, Any]] = []
    # One dict per organisation, shared by the rows it appears in (read-only data).
    shown = {o.id: {"name": o.name, "country": o.country, "kind": o.kind}
             for o in facts.orgs.values()}

    for f in kept:
        parties = facts.parties.get(f.id, [])
        ids = partner_ids[f.id] = [oid for oid, _ in parties if oid not in home_ids]
        row = _row(period, f, parties, facts, [shown[oid] for oid in ids])
        rows.append(row)
        by_id[f.id] = row
        if f.id in facts.auto_renewals:
            renewed.extend(_tacit_renewals(period, f, row, facts.auto_renewals[f.id]))

    gaps: list[dict[str, Any]] = []
    for f in kept:
        if f.renews_id is None:
            continue
        row = by_id[f.id]
        pred = by_id.get(f.renews_id)
        if pred is not None and f.state_end != State.WITHDRAWN and (
                pred["successor"] is None or row["state"] not in CLOSED):
            pred["successor"] = f.ref
        if f.activated_on in period:
            renewed.append({"ref": f.renews_ref, "title": f.title, "partners": row["partners"],
                            "how": "successor", "on": f.activated_on, "successor": f.ref,
                            "expires_on": row["expires_on"]})
            if pred is not None:
                pred["renewed_in_year"] = True
        lapsed = pred["expired_on"] if pred is not None else f.renews_expired_on
        gap = _gap(period, f.renews_ref, lapsed, row)
        if gap is not None:
            gaps.append(gap)
            row["gap_days"] = gap["days"]
    renewed.sort(key=lambda r: (r["on"], r["ref"] or "", r["successor"] or ""))
    gaps.sort(key=lambda g: (g["from"], g["successor"]))

    for row in rows:
        row["expiring"] = bool(row["active_at_end"] and row["end_date"] is not None
                               and row["end_date"] <= period.expiring_until)
        row["problems"] = _problems(period, row)

    active_ids = [f.id for f in kept if by_id[f.id]["active_at_end"]]
    active = [by_id[i] for i in active_ids]
    signed = sorted((r for r in rows if r["signed_in_year"]), key=lambda r: (r["signed_on"], r["ref"]))
    expired = sorted((r for r in rows if r["expired_in_year"]), key=lambda r: (r["expired_on"], r["ref"]))
    terminated = sorted((r for r in rows if r["terminated_in_year"]),
                        key=lambda r: (r["terminated_on"], r["ref"]))
    expiring = sorted((r for r in rows if r["expiring"]), key=lambda r: (r["end_date"], r["ref"]))
    quality = [r for r in rows if r["problems"]]
    new_partners = _new_partners(period, facts, kept, by_id, partner_ids, home_ids)
    counts = _counts(active_ids, by_id, partner_ids, facts.orgs)

    # In force at year end without a signed copy on file (documents and files).
    without_copy = [by_id[i] for i in active_ids if i not in facts.signed_copies]
    partners_in_force = {oid for aid in active_ids for oid in partner_ids[aid]}
    summary = {
        "agreements": len(rows),
        "active_at_start": sum(1 for r in rows if r["active_at_start"]),
        "active": len(active),
        "signed": len(signed),
        "renewed": len(renewed),
        "renewed_by_successor": sum(1 for r in renewed if r["how"] == "successor"),
        "renewed_tacitly": sum(1 for r in renewed if r["how"] == "tacit"),
        "expired": len(expired),
        "terminated": len(terminated),
        "new_partners": len(new_partners),
        "partners": len(partners_in_force),
        "countries": len({facts.orgs[o].country for o in partners_in_force
                          if facts.orgs[o].country}),
        "expiring": len(expiring),
        "coverage_gaps": len(gaps),
        "data_quality": len(quality),
        "without_signed_copy": len(without_copy),
    }
    for row in rows:
        del row["end_date"]
    data: dict[str, Any] = {
        "year": period.year,
        "period": {"start": period.start, "end": period.end, "partial": period.partial,
                   "expiring_until": period.expiring_until},
        "institution": institution,
        "department": department,
        "summary": summary,
        "agreements": rows,
        "active": active,
        "signed": signed,
        "renewed": renewed,
        "expired": expired,
        "terminated": terminated,
        "new_partners": new_partners,
        "expiring": expiring,
        "gaps": gaps,
        "quality": quality,
        "without_signed_copy": [r["ref"] for r in without_copy],
        **counts,
        "academic_year": f"{period.year}/{period.year + 1}",
        "mobility_places": list(mobility_places or []),
    }
    from reports.activity_data import MobilitySums, build_sections, merge  # issue 21

    merge(data, activities if activities is not None else build_sections(
        MobilitySums(), (), data["academic_year"], orgs={}, refs={}, erasmus=set(), quotas=[],
        year_start=(9, 1)))
    data["data_hash"] = data_hash(data)
    return data


def _row(period: Period, f: AgreementFacts, parties: list[tuple[int, date | None]],
         facts: Facts, partners: list[dict[str, Any]]) -> dict[str, Any]:
    start, end = period.start, period.end
    signed_on = f.signed_event_on
    if signed_on is None and parties and all(d is not None for _, d in parties):
        last = max(d for _, d in parties if d is not None)  # imported: no sign events
        signed_on = last if last <= end else None
    expired_on, terminated_on = f.expired_on, f.terminated_on
    if f.event_end == RecordEvent.IMPORT:  # the state was imported: date its end by the terms
        if f.state_end == State.EXPIRED and expired_on is None and f.expires_on is not None:
            expired_on = f.expires_on + ONE_DAY
        if f.state_end == State.TERMINATED and terminated_on is None and f.ends_on is not None:
            terminated_on = f.ends_on + ONE_DAY
        expired_on = expired_on if expired_on and expired_on <= end else None
        terminated_on = terminated_on if terminated_on and terminated_on <= end else None
    expires_on = f.expires_on
    renewed_in_year = False
    renewals = facts.auto_renewals.get(f.id)
    if renewals:
        renewed_in_year = any(start <= d <= end for d in renewals)
        later = [d for d in renewals if d > end]
        if later:  # a tacit renewal happens the day after the expiry it extends
            expires_on = later[0] - ONE_DAY
    notice = f.notice_on is not None
    ends_on = f.ends_on if notice else None
    owner = facts.users.get(f.owner_id) if f.owner_id is not None else None
    ended = expired_on or terminated_on
    terminated_in_year = terminated_on is not None and start <= terminated_on <= end
    return {
        "ref": f.ref,
        "title": f.title,
        "type": f.type,
        "department": f.department,
        "owner": owner[0] if owner else None,
        "owner_name": owner[1] if owner else None,
        "partners": partners,
        "state": f.state_end,
        "state_at_start": f.state_start,
        "starts_on": f.starts_on,
        "expires_on": expires_on,
        "indefinite": f.indefinite,
        "auto_renew": f.auto_renew,
        "renews_automatically": f.auto_renew and not notice and expires_on is not None,
        "notice_given_on": f.notice_on,
        "ends_on": ends_on,
        "forms": sorted(f.forms),
        "renews": f.renews_ref,
        "successor": None,
        "signed_on": signed_on,
        "activated_on": f.activated_on,
        "expired_on": expired_on,
        "terminated_on": terminated_on,
        # The end events are dated on the first day out of force.
        "last_day": ended - ONE_DAY if ended else None,
        "termination_note": facts.termination_notes.get(f.id) if terminated_in_year else None,
        "active_at_start": f.state_start in IN_FORCE,
        "active_at_end": f.state_end in IN_FORCE,
        "signed_in_year": signed_on is not None and start <= signed_on <= end,
        "renewed_in_year": renewed_in_year,
        "expired_in_year": expired_on is not None and start <= expired_on <= end,
        "terminated_in_year": terminated_in_year,
        "gap_days": None,
        "state_since": f.since_end,
        "end_date": ends_on or expires_on,
    }


def _tacit_renewals(period: Period, f: AgreementFacts, row: dict[str, Any],
                    days: list[date]) -> list[dict[str, Any]]:
    out = []
    for i, day in enumerate(days):
        if day in period:
            # The new term runs until the day before the next tacit renewal, if any.
            new_expiry = days[i + 1] - ONE_DAY if i + 1 < len(days) else f.expires_on
            out.append({"ref": f.ref, "title": f.title, "partners": row["partners"],
                        "how": "tacit", "on": day, "successor": None, "expires_on": new_expiry})
    return out


def _gap(period: Period, pred_ref: str | None, lapsed: date | None,
         succ: dict[str, Any]) -> dict[str, Any] | None:
    """Uncovered days between a predecessor's expiry (`lapsed`: its first day out of
    force) and its successor's activation, if they touch the period."""
    if lapsed is None:
        return None
    started = succ["activated_on"]
    if started is not None:
        if started <= lapsed or started - ONE_DAY < period.start:
            return None
        last, days, open_ = started - ONE_DAY, (started - lapsed).days, False
    elif succ["state"] in ON_ITS_WAY:
        last, days, open_ = None, (period.end - lapsed).days + 1, True
    else:
        return None
    return {"predecessor": pred_ref, "successor": succ["ref"], "title": succ["title"],
            "partners": succ["partners"], "from": lapsed, "to": last, "days": days,
            "open": open_, "successor_state": succ["state"]}


def _problems(period: Period, row: dict[str, Any]) -> list[dict[str, Any]]:
    state = row["state"]
    if state == State.WITHDRAWN:
        return []
    out: list[dict[str, Any]] = []
    if row["starts_on"] is None:
        out.append({"code": "no_start_date", "detail": None})
    if row["expires_on"] is None and not row["indefinite"]:
        out.append({"code": "no_expiry_date", "detail": None})
    if state in SIGNED_STATES and row["signed_on"] is None:
        out.append({"code": "no_signature_date", "detail": None})
    if row["owner"] is None:
        out.append({"code": "no_owner", "detail": None})
    missing = [p["name"] for p in row["partners"] if not p["country"]]
    if missing:
        out.append({"code": "partner_without_country", "detail": ", ".join(missing)})
    # Look-alike letters of another script (a Cyrillic "о" in "Kyoto"): the name looks
    # right and is not the partner it seems to be (workflow/rules.py, mixed_script).
    from workflow.rules import mixed_script

    mixed = [f"{name}: {why}" for name in (row["title"], *(p["name"] for p in row["partners"]))
             if (why := mixed_script(name))]
    if mixed:
        out.append({"code": "mixed_script", "detail": "; ".join(mixed)})
    return out


def _new_partners(period: Period, facts: Facts, kept: list[AgreementFacts],
                  by_id: dict[int, dict[str, Any]], partner_ids: dict[int, list[int]],
                  home_ids: set[int]) -> list[dict[str, Any]]:
    new = {oid: day for oid, day in facts.first_signatures.items()
           if day in period and oid not in home_ids and oid in facts.orgs}
    first_ref: dict[int, str] = {}
    for f in kept:  # the agreement that signature was on
        for oid, signed_on in facts.parties.get(f.id, ()):
            if oid in new and signed_on == new[oid] and oid not in first_ref:
                first_ref[oid] = by_id[f.id]["ref"]
    out: list[dict[str, Any]] = []
    for oid, day in new.items():
        o = facts.orgs[oid]
        out.append({"name": o.name, "country": o.country, "kind": o.kind, "city": o.city,
                    "since": day, "ref": first_ref.get(oid)})
    out.sort(key=lambda p: (str(p["name"]).casefold(), str(p["name"])))
    return out


def _ranked(counter: Counter[Any], key: str, extra: dict[Any, dict[str, int]] | None = None
            ) -> list[dict[str, Any]]:
    """Largest first, then by key; the unknown (None) last."""
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
    return [{key: k, "agreements": n, **((extra or {}).get(k, {}))} for k, n in items]


def _counts(active_ids: list[int], by_id: dict[int, dict[str, Any]],
            partner_ids: dict[int, list[int]], orgs: dict[int, OrgFacts]) -> dict[str, Any]:
    countries: Counter[str | None] = Counter()
    country_partners: dict[str | None, set[int]] = defaultdict(set)
    kinds: Counter[str] = Counter()
    types: Counter[str] = Counter()
    forms: Counter[str | None] = Counter()
    departments: Counter[str | None] = Counter()
    for aid in active_ids:
        row = by_id[aid]
        seen_countries = set()
        for oid in partner_ids[aid]:
            c = orgs[oid].country
            seen_countries.add(c)
            country_partners[c].add(oid)
        countries.update(seen_countries)
        kinds.update({orgs[oid].kind for oid in partner_ids[aid]})
        types[row["type"]] += 1
        forms.update(row["forms"] or [None])
        departments[row["department"]] += 1
    partners = {c: {"partners": len(ids)} for c, ids in country_partners.items()}
    return {
        "by_country": _ranked(countries, "country", partners),
        "by_kind": _ranked(kinds, "kind"),
        "by_type": _ranked(types, "type"),
        "by_form": _ranked(forms, "form"),
        "by_department": _ranked(departments, "department"),
    }
