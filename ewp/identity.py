"""Who is who in EWP: the home institution's hei-id, partners' hei-ids, IIA ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from ewp.rules import MonthDay
from models import Agreement, Organization, normalize_name
from workflow import rules
from workflow.agreements import Office
from workflow.clock import Clock
from workflow.errors import Invalid
from workflow.registry import (
    new_organization,
    valid_country,
)

__all__ = ["Home", "country_of_hei_id", "ensure_iia_id", "new_iia_id"]


@dataclass(frozen=True)
class Home:
    """The home institution as EWP sees it (from configuration)."""

    office: Office
    hei_id: str | None = None  # HAMKOR_INSTITUTION_HEI_ID
    year_start: MonthDay = (9, 1)  # HAMKOR_ACADEMIC_YEAR_START

    def require_hei_id(self) -> str:
        if not self.hei_id:
            raise Invalid(rules.problem("ewp.no_hei_id"))
        return self.hei_id

    def is_home(self, name_key: str, hei_id: str | None) -> bool:
        """Is the organisation with this name key and hei-id the home institution?"""
        if self.hei_id is not None and hei_id == self.hei_id:
            return True
        return name_key == self._name_key

    @cached_property
    def _name_key(self) -> str:
        return normalize_name(self.office.institution)

    def hei_of(self, name_key: str, hei_id: str | None) -> str | None:
        """An organisation's hei-id; the home institution's comes from configuration."""
        if hei_id:
            return hei_id
        return self.hei_id if self.is_home(name_key, hei_id) else None

    def home_org(self, s: Session, clock: Clock) -> Organization:
        """The home institution's organisation (found by hei-id, else by name), created
        with the hei-id if missing."""
        hei = self.require_hei_id()
        org = s.scalar(select(Organization).where(Organization.hei_id == hei))
        if org is None:
            org = s.scalar(select(Organization).where(
                Organization.name_key == normalize_name(self.office.institution)))
        if org is None:
            org = new_organization(s, clock, self.office.institution,
                                   country=self.office.institution_country, hei_id=hei)
            s.flush()
        elif org.hei_id is None:
            org.hei_id = hei  # found by name: record its hei-id so look-ups by hei-id work
        elif org.hei_id != hei:
            raise Invalid(rules.problem("ewp.home_hei_id", name=org.name, hei_id=org.hei_id,
                                        configured=hei))
        return org


def new_iia_id() -> str:
    """A fresh IIA id: a random UUID, never reused (agreements are never deleted and
    the column is unique)."""
    return str(uuid.uuid4())


def ensure_iia_id(a: Agreement) -> str:
    """The agreement's IIA id, assigned now if this is the first time it is needed."""
    if a.iia_id is None:
        a.iia_id = new_iia_id()
    return a.iia_id


#: Country-code top-level domains that are not the ISO 3166 code.
_TLD_COUNTRY = {"uk": "GB", "el": "GR"}


def country_of_hei_id(hei_id: str) -> str | None:
    """The country a hei-id's top-level domain names (``polito.it`` -> IT), if any."""
    tld = hei_id.rsplit(".", 1)[-1]
    code = _TLD_COUNTRY.get(tld, tld)
    if len(code) != 2:
        return None
    try:
        return valid_country(code)
    except Invalid:
        return None


