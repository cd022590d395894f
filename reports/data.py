"""The annual report's content, computed once from the audit history.

`annual_data(session, year, today)` returns plain data (dicts, lists, strings,
numbers and `datetime.date`s) that every format and language renders; nothing
here knows about templates or languages, and no ORM object leaves this module.

Definitions (README "Annual report"). Everything is read from the append-only `events` table
by business date (`occurred_on`), so back-dated events count in the year they
happened and a late tick changes nothing:

- *report day*: 31 December, or today for the current year;
- *state on a day*: the `to_state` of the agreement's last event (highest id)
  dated on or before that day (an `import` event carries the imported state);
  an agreement with no event by then did not exist yet;
- *in force*: state `active` or `renewal_due`;
- *signed*: the date of the signature that made it `signed` (for imported
  agreements, the last party's `signed_on`);
- *renewed*: a successor activated during the year (the predecessor is
  renewed), or a tacit `auto_renew`;
- *expired* / *terminated*: an `expire` / `terminate` event during the year
  (its date is the first day no longer in force);
- *new partner*: an organisation, other than the home institution, whose first
  signature on any agreement (its party's `signed_on`) falls in the year;
- *expiring*: in force on the report day and ending (expiry, or the end date of
  a notice) on or before 31 December of the next year;
- *coverage gap*: a predecessor expired before its successor activated; open
  while the successor is still on its way;
- *data quality*: agreements of the register (drafts included: an imported
  table without dates lands there) that lack a start or expiry date, a
  signature date once signed, an owner, or a partner's country.
- *mobility places*: the Erasmus+ places per partner and direction in the
  academic year that starts in the report year (`academic_year`, e.g.
  ``2024/2025``), from the cooperation conditions of the agreements in force
  on the report day (`ewp.conditions.mobility_places`).

The register (`agreements`) holds every agreement that existed on the report
day, except those already closed before the year began: they have no part in
it. The lists and counts are selections of it.

The data hash is the sha256 of the canonical JSON of the data: the same data
gives the same hash, whatever the format, language or template.

Set-based: eight queries in all (one aggregate over the events of the
agreements still open when the year began), never one per agreement, plus up
to three for the mobility places.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from config.gcpause import no_gc
from reports.canonical import COLUMNAR, SELECTIONS, canonical_json, data_hash
from reports.classify import PROBLEMS, build
from reports.facts import (
    AgreementFacts,
    Facts,
    OrgFacts,
    Period,
    fetch,
    fetch_activities,
    fetch_mobility_places,
    report_period,
)

__all__ = [
    "COLUMNAR", "PROBLEMS", "SELECTIONS", "AgreementFacts", "Facts", "OrgFacts", "Period",
    "annual_data", "build", "canonical_json", "data_hash", "fetch", "fetch_activities",
    "fetch_mobility_places", "report_period",
]


def annual_data(s: Session, year: int, today: date, department: str | None = None, *,
                institution: str | None = None,
                institution_hei_id: str | None = None,
                year_start: tuple[int, int] = (9, 1)) -> dict[str, Any]:
    """The annual report's data for `year` as seen on `today` (plain values + hash).

    `department` limits it to that department's agreements (case-insensitive);
    `institution` names the home institution, which is never counted as a partner;
    `institution_hei_id` (its EWP code) recognises it in the mobility places too;
    `year_start` (HAMKOR_ACADEMIC_YEAR_START) names the academic year of the activities.
    """
    period = report_period(year, today)
    department = department.strip() if department and department.strip() else None
    with no_gc():
        facts = fetch(s, period, department)
        places = fetch_mobility_places(s, period, facts, institution=institution,
                                       institution_hei_id=institution_hei_id)
        activities = fetch_activities(s, period, facts, department, institution=institution,
                                      institution_hei_id=institution_hei_id,
                                      year_start=year_start)
        return build(period, facts, institution=institution, department=department,
                     mobility_places=places, activities=activities)
