"""The report's lists as tables: columns for the spreadsheet formats, and the CSV.

Each list of the data becomes a table of typed columns (text, date, integer,
yes/no). `reports.xlsx` writes one sheet per table; the CSV writes one row per
agreement of the register with its classification.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reports.i18n import N_, Formatter
from workflow.spreadsheet import inert


@dataclass(frozen=True)
class Column:
    header: str  # msgid
    value: Callable[[dict[str, Any], Formatter], Any]
    kind: str = "text"  # text | date | int | bool
    width: int = 14


@dataclass(frozen=True)
class Table:
    key: str  # the list in the data
    title: str  # msgid: sheet name
    columns: tuple[Column, ...]
    #: msgid: the one line of the sheet when the list is empty (None: the header alone)
    empty: str | None = None


def _get(name: str) -> Callable[[dict[str, Any], Formatter], Any]:
    return lambda row, fmt: row[name]


def _label(kind: str, name: str) -> Callable[[dict[str, Any], Formatter], Any]:
    return lambda row, fmt: fmt.label(kind, row[name])


def _owner(row: dict[str, Any], fmt: Formatter) -> str:
    return row["owner_name"] or row["owner"] or fmt.gettext("No owner")


def _renewal_plan(row: dict[str, Any], fmt: Formatter) -> str:
    if row["successor"]:
        return fmt.gettext("successor %(ref)s") % {"ref": row["successor"]}
    if row["renews_automatically"]:
        return fmt.gettext("renews tacitly")
    if row["ends_on"]:
        return fmt.gettext("notice given")
    return fmt.gettext("to be decided")


def _problems(row: dict[str, Any], fmt: Formatter) -> str:
    return "; ".join(fmt.label("problem", p["code"]) + (f" ({p['detail']})" if p["detail"] else "")
                     for p in row["problems"])


REF = Column(N_("Ref."), _get("ref"), width=15)
TITLE = Column(N_("Title"), _get("title"), width=40)
PARTNERS = Column(N_("Partners"), lambda r, f: f.names(r["partners"]), width=40)
COUNTRIES = Column(N_("Countries"), lambda r, f: f.countries(r["partners"]), width=18)
TYPE = Column(N_("Type"), _label("type", "type"), width=20)
DEPARTMENT = Column(N_("Department"), lambda r, f: r["department"] or "", width=22)
STARTS = Column(N_("From"), _get("starts_on"), "date", 12)
EXPIRES = Column(N_("Until"), _get("expires_on"), "date", 12)
OWNER = Column(N_("Owner"), _owner, width=22)
OWNER_EMAIL = Column(N_("Email"), lambda r, f: r["owner"] or "", width=26)
LAST_DAY = Column(N_("Last day in force"), _get("last_day"), "date", 14)
SUCCESSOR = Column(N_("Successor"), lambda r, f: r["successor"] or "", width=15)

TABLES: tuple[Table, ...] = (
    Table("active", N_("In force"), (
        REF, TITLE, PARTNERS, COUNTRIES, TYPE, DEPARTMENT,
        Column(N_("Forms of cooperation"),
               lambda r, f: ", ".join(f.label("form", x) for x in r["forms"]), width=28),
        STARTS, EXPIRES,
        Column(N_("Renews tacitly"), _get("renews_automatically"), "bool", 10),
        OWNER,
    )),
    Table("signed", N_("Signed"), (
        REF, TITLE, PARTNERS, COUNTRIES, TYPE, DEPARTMENT,
        Column(N_("Signed on"), _get("signed_on"), "date", 12), STARTS, EXPIRES,
    )),
    Table("renewed", N_("Renewals"), (
        REF, TITLE, PARTNERS, Column(N_("How"), _label("renewal", "how"), width=18),
        Column(N_("Date"), _get("on"), "date", 12), SUCCESSOR,
        Column(N_("Now in force until"), _get("expires_on"), "date", 14),
    )),
    Table("expired", N_("Expired"), (REF, TITLE, PARTNERS, COUNTRIES, DEPARTMENT, LAST_DAY,
                                     SUCCESSOR)),
    Table("terminated", N_("Terminated"), (
        REF, TITLE, PARTNERS, COUNTRIES, DEPARTMENT, LAST_DAY,
        Column(N_("Reason"), lambda r, f: r["termination_note"] or "", width=40),
    )),
    Table("new_partners", N_("New partners"), (
        Column(N_("Partner"), _get("name"), width=40),
        Column(N_("Country"), lambda r, f: f.country(r["country"]), width=18),
        Column(N_("Kind of partner"), _label("kind", "kind"), width=20),
        Column(N_("First signature"), _get("since"), "date", 14),
        Column(N_("Agreement"), lambda r, f: r["ref"] or "", width=15),
    )),
    Table("expiring", N_("Expiring"), (
        REF, TITLE, PARTNERS, DEPARTMENT,
        Column(N_("Ends on"), lambda r, f: r["ends_on"] or r["expires_on"], "date", 12),
        Column(N_("Renewal"), _renewal_plan, width=22), OWNER, OWNER_EMAIL,
    )),
    Table("gaps", N_("Coverage gaps"), (
        Column(N_("Predecessor"), _get("predecessor"), width=15),
        Column(N_("Successor"), _get("successor"), width=15), TITLE, PARTNERS,
        Column(N_("From"), _get("from"), "date", 12),
        Column(N_("To"), _get("to"), "date", 12),
        Column(N_("Days"), _get("days"), "int", 8),
        Column(N_("Still open"), _get("open"), "bool", 10),
    )),
    Table("quality", N_("Data quality"), (
        REF, TITLE, Column(N_("State"), _label("state", "state"), width=20),
        Column(N_("Problems"), _problems, width=50), OWNER, OWNER_EMAIL,
    )),
    Table("by_country", N_("Countries"), (
        Column(N_("Country"), lambda r, f: f.country(r["country"]), width=24),
        Column(N_("Code"), lambda r, f: r["country"] or "", width=8),
        Column(N_("Agreements"), _get("agreements"), "int", 12),
        Column(N_("Partners"), _get("partners"), "int", 12),
    )),
    Table("by_kind", N_("Kinds of partner"), (
        Column(N_("Kind of partner"), _label("kind", "kind"), width=30),
        Column(N_("Agreements"), _get("agreements"), "int", 12),
    )),
    Table("by_type", N_("Types"), (
        Column(N_("Type of agreement"), _label("type", "type"), width=30),
        Column(N_("Agreements"), _get("agreements"), "int", 12),
    )),
    Table("by_form", N_("Forms"), (
        Column(N_("Form of cooperation"), _label("form", "form"), width=30),
        Column(N_("Agreements"), _get("agreements"), "int", 12),
    )),
    Table("by_department", N_("Departments"), (
        Column(N_("Department"), lambda r, f: r["department"] or f.label("department", None),
               width=30),
        Column(N_("Agreements"), _get("agreements"), "int", 12),
    )),
    Table("mobility_places", N_("Mobility places"), (
        Column(N_("Partner"), _get("partner"), width=36),
        Column(N_("Country"), lambda r, f: f.country(r["country"]), width=18),
        Column(N_("EWP code"), lambda r, f: r["hei_id"] or "", width=16),
        Column(N_("Direction"), _label("direction", "direction"), width=14),
        Column(N_("Academic year"), _get("academic_year"), width=12),
        Column(N_("Students: studies"), _get("student_studies"), "int", 12),
        Column(N_("Students: traineeships"), _get("student_traineeship"), "int", 12),
        Column(N_("Staff: teaching"), _get("staff_teacher"), "int", 12),
        Column(N_("Staff: training"), _get("staff_training"), "int", 12),
        Column(N_("Students"), _get("students"), "int", 10),
        Column(N_("Staff"), _get("staff"), "int", 10),
        Column(N_("Total"), _get("total"), "int", 10),
        Column(N_("Agreements"), lambda r, f: ", ".join(r["agreements"]), width=30),
    ), empty=N_("No mobility places recorded.")),
    # -- cooperation activity (issue 21) --
    *(Table(f"mobility_by_{key}", title, (
        Column(N_("Direction"), _label("direction", "direction"), width=14),
        column,
        Column(N_("People"), _get("people"), "int", 10),
        Column(N_("Erasmus+ people"), _get("erasmus_people"), "int", 12),
        Column(N_("Erasmus+ student months"), _get("months"), "int", 14),
        Column(N_("Erasmus+ staff days"), _get("days"), "int", 14),
    ), empty=N_("None.")) for key, title, column in (
        ("category", N_("Mobility by category"),
         Column(N_("Category"), _label("category", "category"), width=26)),
        ("country", N_("Mobility by country"),
         Column(N_("Country"), lambda r, f: f.country(r["country"]), width=24)),
        ("partner", N_("Mobility by partner"),
         Column(N_("Partner"), lambda r, f: r["partner"] or f.gettext("Consortium"), width=40)),
    )),
    Table("visits", N_("Visits"), (
        Column(N_("Date"), _get("date"), "date", 12),
        Column(N_("Direction"), _label("direction", "direction"), width=14),
        Column(N_("Partner"), lambda r, f: r["partner"] or "", width=36),
        Column(N_("Country"), lambda r, f: f.country(r["country"]) if r["country"] else "", width=18),
        Column(N_("People"), _get("people"), "int", 10),
        Column(N_("Purpose"), lambda r, f: r["purpose"] or "", width=40),
        Column(N_("Agreement"), lambda r, f: r["agreement"] or "", width=15),
        DEPARTMENT,
    ), empty=N_("None.")),
    Table("events", N_("Events"), (
        Column(N_("Date"), _get("date"), "date", 12),
        TITLE,
        Column(N_("Place"), lambda r, f: r["place"] or "", width=24),
        Column(N_("Participants"), _get("people"), "int", 12),
        Column(N_("Partner"), lambda r, f: r["partner"] or "", width=36),
        Column(N_("Agreement"), lambda r, f: r["agreement"] or "", width=15),
        DEPARTMENT,
    ), empty=N_("None.")),
    Table("projects", N_("Projects"), (
        TITLE,
        Column(N_("Funder"), lambda r, f: r["funder"] or "", width=30),
        Column(N_("Funding"), lambda r, f: float(r["amount"]) if r["amount"] else None, "int", 14),
        Column(N_("Currency"), lambda r, f: r["currency"] or "", width=10),
        Column(N_("Our role"), lambda r, f: f.label("role", r["role"]) if r["role"] else "", width=18),
        Column(N_("From"), _get("starts_on"), "date", 12),
        Column(N_("Until"), _get("ends_on"), "date", 12),
        Column(N_("Partner"), lambda r, f: r["partner"] or "", width=36),
        Column(N_("Agreement"), lambda r, f: r["agreement"] or "", width=15),
        DEPARTMENT,
    ), empty=N_("None.")),
    Table("funding", N_("Funding"), (
        Column(N_("Currency"), _get("currency"), width=10),
        Column(N_("Funding"), lambda r, f: float(r["amount"]), "int", 16),
        Column(N_("Projects"), _get("projects"), "int", 10),
    ), empty=N_("None.")),
    Table("publications", N_("Publications"), (
        TITLE,
        Column(N_("Year"), _get("year"), "int", 8),
        Column(N_("DOI"), lambda r, f: r["doi"] or "", width=30),
        Column(N_("Partner"), lambda r, f: r["partner"] or "", width=36),
        Column(N_("Agreement"), lambda r, f: r["agreement"] or "", width=15),
        DEPARTMENT,
    ), empty=N_("None.")),
    Table("quota_utilisation", N_("Quota utilisation"), (
        Column(N_("Agreement"), _get("agreement"), width=15),
        TITLE,
        Column(N_("Direction"), _label("direction", "direction"), width=14),
        Column(N_("Category"), _label("category", "kind"), width=24),
        Column(N_("Agreed"), _get("agreed"), "int", 10),
        Column(N_("Used"), _get("used"), "int", 10),
        Column(N_("Gap"), _get("gap"), "int", 10),
        Column(N_("Months/days agreed"),
               lambda r, f: r["agreed_months"] if r["agreed_months"] is not None else r["agreed_days"],
               "int", 14),
        Column(N_("Months/days used"),
               lambda r, f: r["used_months"] if r["used_months"] is not None else r["used_days"],
               "int", 14),
        Column(N_("Less than half used"), _get("under_used"), "bool", 12),
    ), empty=N_("None.")),
    Table("activity_by_department", N_("Activity by department"), (
        Column(N_("Department"), lambda r, f: r["department"] or f.label("department", None),
               width=30),
        Column(N_("Mobility out"), _get("mobility_out"), "int", 12),
        Column(N_("Mobility in"), _get("mobility_in"), "int", 12),
        Column(N_("Visits"), _get("visits"), "int", 10),
        Column(N_("Events"), _get("events"), "int", 10),
        Column(N_("Projects"), _get("projects"), "int", 10),
        Column(N_("Publications"), _get("publications"), "int", 12),
    ), empty=N_("None.")),
)

#: The summary's key figures: (msgid, key of `summary`).
KEY_FIGURES: tuple[tuple[str, str], ...] = (
    (N_("Agreements in force"), "active"),
    (N_("In force at the start of the year"), "active_at_start"),
    (N_("Signed"), "signed"),
    (N_("Renewed"), "renewed"),
    (N_("New agreement"), "renewed_by_successor"),
    (N_("Tacit renewal"), "renewed_tacitly"),
    (N_("Expired"), "expired"),
    (N_("Terminated"), "terminated"),
    (N_("New partners"), "new_partners"),
    (N_("Partners"), "partners"),
    (N_("Countries"), "countries"),
    (N_("Expiring"), "expiring"),
    (N_("Coverage gaps"), "coverage_gaps"),
    (N_("Data quality"), "data_quality"),
    (N_("Students out"), "students_out"),
    (N_("Students in"), "students_in"),
    (N_("Staff out"), "staff_out"),
    (N_("Staff in"), "staff_in"),
    (N_("In force without a signed copy on file"), "without_signed_copy"),
)

#: Classes of an agreement in the CSV: (msgid, flag of the register row).
CLASSES: tuple[tuple[str, str], ...] = (
    (N_("In force at the start of the year"), "active_at_start"),
    (N_("In force at year end"), "active_at_end"),
    (N_("Signed in the year"), "signed_in_year"),
    (N_("Renewed in the year"), "renewed_in_year"),
    (N_("Expired in the year"), "expired_in_year"),
    (N_("Terminated in the year"), "terminated_in_year"),
    (N_("Expiring"), "expiring"),
)

REGISTER: tuple[Column, ...] = (
    REF, TITLE, TYPE, DEPARTMENT, OWNER, OWNER_EMAIL,
    PARTNERS,
    Column(N_("Country codes"), lambda r, f: ";".join(p["country"] or "" for p in r["partners"])),
    Column(N_("State at year end"), _label("state", "state")),
    Column(N_("State at the start of the year"),
           lambda r, f: f.label("state", r["state_at_start"]) if r["state_at_start"] else ""),
    Column(N_("Classification"),
           lambda r, f: "; ".join(f.gettext(m) for m, flag in CLASSES if r[flag])),
    *(Column(m, _get(flag), "bool") for m, flag in CLASSES),
    STARTS, EXPIRES,
    Column(N_("Signed on"), _get("signed_on"), "date"),
    LAST_DAY,
    Column(N_("Renews"), lambda r, f: r["renews"] or ""),
    SUCCESSOR,
    Column(N_("Coverage gap (days)"), _get("gap_days"), "int"),
    Column(N_("Problems"), _problems),
    # cooperation activity of the academic year (people for mobility, else counts)
    Column(N_("Mobility out"), _get("mobility_out"), "int"),
    Column(N_("Mobility in"), _get("mobility_in"), "int"),
    Column(N_("Visits"), _get("visits"), "int"),
    Column(N_("Events"), _get("events"), "int"),
    Column(N_("Projects"), _get("projects"), "int"),
    Column(N_("Publications"), _get("publications"), "int"),
)


def render_csv(data: dict[str, Any], fmt: Formatter) -> bytes:
    """One row per agreement of the register: labels in the language, ISO dates.

    UTF-8 with a byte-order mark so that spreadsheet programs read Cyrillic and
    Uzbek letters right. Text that a spreadsheet would run as a formula gets a
    leading quote (`workflow.spreadsheet.inert`); numbers stay numbers.
    """
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([inert(fmt.gettext(c.header)) for c in REGISTER])
    yes, no = fmt.yes_no(True), fmt.yes_no(False)
    for row in data["agreements"]:
        values = []
        for c in REGISTER:
            v = c.value(row, fmt)
            if c.kind == "bool":
                v = yes if v else no
            elif c.kind == "date":
                v = v.isoformat() if v else ""
            elif v is None:
                v = ""
            elif type(v) is str:
                v = inert(v)  # never a formula in a spreadsheet (README "Limits and safety")
            values.append(v)
        w.writerow(values)
    return out.getvalue().encode("utf-8-sig")
