"""The JSON API (`/api/...`): the CLI's operations over HTTP, as the bearer token's user.

Authentication is a per-user API token (`Authorization: Bearer hmk_...`); no
cookie is accepted here, so the API needs no CSRF token. Refusals come back as
`{"detail": "..."}` with the status of the refusal (403 role, 404 unknown,
409 refused or changed by someone else, 422 bad input). The schema is at
`/api/openapi.json` and readable at `/api/docs`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, field_validator

from notifications.outbox import OutboxRow
from reports.service import GeneratedReport, ReportRow
from web.forms import RowId
from web.security import api_user
from web.state import hamkor
from workflow import rules
from workflow.agreements import AgreementRow, EventRow
from workflow.registry import PartnerRow, UserRow

router = APIRouter(prefix="/api", tags=["api"])
User = UserRow


def _day(value: Any) -> date | None:
    """The rule book's date rule (workflow/rules.py), as a validation error of the field."""
    from workflow.errors import Invalid

    try:
        return rules.day(value, "date")
    except Invalid as exc:
        raise ValueError(exc.problem.text(lambda _: "the value")) from None


#: A date in a request body: `YYYY-MM-DD` within 1900..2999, by the same rule as every door.
Day = Annotated[date, PlainValidator(_day), WithJsonSchema({"type": "string", "format": "date"})]
#: Whole numbers in requests fit a 64-bit column (a larger one is a 422, never a 500).
Int64 = Annotated[int, Field(ge=-rules.MAX_INT64 - 1, le=rules.MAX_INT64)]


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class UserOut(_Out):
    email: str
    name: str
    role: Literal["viewer", "officer", "approver", "admin"]
    active: bool


class PartyOut(_Out):
    name: str
    country: str | None
    kind: str
    signed_on: date | None


class AgreementOut(_Out):
    ref: str = Field(examples=["AGR-2026-0001"])
    title: str
    type: str
    state: str
    starts_on: date | None
    expires_on: date | None
    indefinite: bool
    term: int
    auto_renew: bool
    renewal_months: int | None
    notice_days: int | None
    notice_given_on: date | None
    ends_on: date | None
    owner: str | None
    department: str | None
    parties: list[PartyOut]
    forms: list[str]
    renews: str | None
    version: int


class NextEvent(_Out):
    event: str
    allowed: bool
    reason: str | None
    needs: list[str]
    help: str


class SubjectAreaOut(_Out):
    code: str = Field(examples=["0714"], description="ISCED-F 2013 detailed field.")
    clarification: str | None = None


class LanguageOut(_Out):
    language: str = Field(examples=["en"])
    level: str | None = Field(None, examples=["B2"], description="CEFR level, A1 to C2.")


class ConditionOut(_Out):
    """One direction of cooperation (an EWP IIA v7 mobility spec), as
    `hamkor agreement conditions list --json` gives it."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    n: int = Field(description="Position, as `hamkor agreement conditions remove REF N` takes it.")
    kind: Literal["student-studies", "student-traineeship", "staff-teacher", "staff-training"]
    sending: str = Field(alias="from", description="The sending party's name.")
    receiving: str = Field(alias="to", description="The receiving party's name.")
    from_hei_id: str | None
    to_hei_id: str | None
    sending_ounit_id: str | None = None
    receiving_ounit_id: str | None = None
    first_year: str = Field(examples=["2025/2026"])
    last_year: str = Field(examples=["2029/2030"])
    mobilities_per_year: int
    total_months: str | None = Field(None, description="Students: total months per year.")
    total_days: str | None = Field(None, description="Staff: total days per year.")
    subject_areas: list[SubjectAreaOut]
    languages: list[LanguageOut] = Field(description="Recommended languages and CEFR levels.")
    eqf_levels: list[int] = Field(description="Students: EQF levels 1-8.")
    blended: bool | None = Field(None, description="Students: blended mobility possible.")
    other_info: str | None = None
    summary: str = Field(description="The condition in one line, as the CLI prints it.")


class EwpOut(_Out):
    """The agreement as an Erasmus Without Paper IIA: ids, hashes and approvals, as
    `hamkor ewp status REF --json` gives them. Without HAMKOR_INSTITUTION_HEI_ID only
    the ids are given and `note` says why."""

    iia_id: str | None = Field(description="Our IIA id (a UUID), once assigned.")
    partner_iia_id: str | None = Field(description="The partner's IIA id, once known.")
    hash: str | None = Field(None, description="The iia-hash of our copy now.")
    partner_hash: str | None = Field(None, description="The iia-hash of the partner's latest copy.")
    partner_valid_for_approval: bool | None = None
    we_approved: str | None = Field(None, description="The partner hash we last approved.")
    partner_approved: str | None = Field(None, description="Our hash the partner last approved.")
    approved_by_us: bool | None = Field(None, description="We approved the partner's current copy.")
    approved_by_partner: bool | None = Field(
        None, description="The partner approved our current copy (false once we amend it).")
    mutual: bool | None = None
    approval: Literal["mutual", "stale", "approved_by_partner", "approved_by_us", "none"] | None = Field(
        None, description="In one word; `stale`: the partner approved a hash that is no longer ours.")
    problem: str | None = Field(None, description="Why our copy has no hash, if it has none.")
    note: str | None = Field(None, description="Why hashes and approvals are not shown.")


class AgreementDetail(AgreementOut):
    next_events: list[NextEvent] = Field(description="Manual events and whether the caller may fire them now.")
    successors: list[str]
    next_due_on: date | None
    notes: str | None
    conditions: list[ConditionOut] | None = Field(
        None, description="Cooperation conditions (EWP mobility specs), in stored order.")
    ewp: EwpOut | None = Field(None, description="Erasmus Without Paper: IIA ids, hashes, approvals.")


class HistoryOut(_Out):
    event: str
    from_state: str | None
    to_state: str | None
    actor: str
    occurred_on: date
    recorded_at: datetime
    note: str | None
    party: str | None


class PartnerOut(_Out):
    id: int
    name: str
    country: str | None
    kind: str
    city: str | None


class NewAgreementIn(BaseModel):
    title: str
    partners: list[str] = Field(description="Partner names or ids; the home institution is added "
                                            "unless no_institution.")
    type: str = Field(examples=["exchange"])
    owner: str | None = None
    department: str | None = None
    starts: Day | None = None
    expires: Day | None = None
    months: Int64 | None = None
    indefinite: bool = False
    auto_renew: bool = False
    renewal_months: Int64 | None = None
    notice_days: Int64 | None = None
    forms: list[str] = []
    no_institution: bool = False
    notes: str | None = None
    on: Day | None = Field(None, description="Creation date, for entering past agreements.")


class DraftEditIn(BaseModel):
    """Fields to change on a draft; a field left out keeps its value."""

    version: Int64 | None = Field(None, description="The version you read; 409 if it changed since.")
    title: str | None = None
    type: str | None = None
    partners: list[str] | None = Field(None, description="The complete list of parties, in order.")
    owner: str | None = None
    department: str | None = None
    starts: Day | None = None
    expires: Day | None = None
    months: Int64 | None = None
    indefinite: bool | None = None
    auto_renew: bool | None = None
    renewal_months: Int64 | None = None
    notice_days: Int64 | None = None
    forms: list[str] | None = None
    notes: str | None = None

    @field_validator("partners", "forms", mode="before")
    @classmethod
    def _a_list_not_null(cls, value: Any) -> Any:
        """Left out keeps the list; `null` is not a list (send `[]` to empty `forms`)."""
        if value is None:
            raise ValueError("must be a list")
        return value


class EventIn(BaseModel):
    event: str = Field(examples=["submit"], description="A manual event of the lifecycle.")
    note: str | None = None
    on: Day | None = Field(None, description="Business date (default today; never in the future).")
    party: str | None = Field(None, description="For sign: the party signing.")
    effective: Day | None = Field(None, description="For give_notice: the last day in force.")
    version: Int64 | None = Field(None, description="The version you read; 409 if it changed since.")


class RenewIn(BaseModel):
    starts: Day | None = None
    expires: Day | None = None
    months: Int64 | None = None
    on: Day | None = None
    version: Int64 | None = None


class PartnerIn(BaseModel):
    name: str
    country: str = Field(examples=["JP"])
    kind: str = "university"
    city: str | None = None
    erasmus_code: str | None = None
    pic: str | None = None
    website: str | None = None
    hei_id: str | None = None


class ReportIn(BaseModel):
    year: Int64 = Field(examples=[2025])
    format: str = Field("html", description="html, md, csv, xlsx, docx or pdf")
    lang: str = Field("en", description="en, uz or ru")
    department: str | None = None


@router.get("/me", response_model=UserOut, summary="The user the token belongs to")
def me(user: User = Depends(api_user)) -> User:
    return user


@router.get("/users", response_model=list[UserOut], summary="Users and their roles")
def users(request: Request, user: User = Depends(api_user)) -> list[User]:
    from workflow.registry import list_users

    return list_users(hamkor(request).uow())


@router.get("/agreements", response_model=list[AgreementOut], summary="List and search agreements")
def list_agreements(request: Request, q: str | None = None, state: str | None = None,
                    partner: str | None = None, country: str | None = None,
                    department: str | None = None, type: str | None = None,
                    owner: str | None = None, expiring_within: int | None = None,
                    sort: str = Query("ref", description="ref, title, type, state, department, "
                                      "starts, expires or created; a leading - sorts descending."),
                    offset: int = Query(0, ge=0, le=rules.MAX_INT64), limit: int | None = Query(None, ge=1, le=rules.MAX_INT64),
                    user: User = Depends(api_user)) -> list[AgreementRow]:
    """The filters of the Agreements page (and of `hamkor agreement list`), plus `q`: every
    word must appear in the reference, title, a partner's name, country (code or name in
    English, Uzbek or Russian), city, hei-id or Erasmus code, the department, the notes or
    an ISCED code of the conditions; case and accents do not matter."""
    from web.queries import agreements_by_id
    from workflow.search import search

    app = hamkor(request)
    _, ids = search(app.uow(), app.clock(), app.settings.institution, sort=sort, offset=offset,
                    limit=limit, q=q, state=state, partner=partner, country=country,
                    department=department, type=type, owner=owner, expiring_within=expiring_within)
    return agreements_by_id(app.uow(), ids)


@router.post("/agreements", response_model=AgreementOut, status_code=status.HTTP_201_CREATED,
             summary="Create a draft agreement")
def create_agreement(request: Request, body: NewAgreementIn, user: User = Depends(api_user)) -> AgreementRow:
    from workflow.agreements import NewAgreement, create

    app = hamkor(request)
    spec = NewAgreement(**body.model_dump(exclude={"on"}))
    return create(app.uow(), app.clock(), app.office(), spec, by=user["email"], on=body.on)


@router.get("/agreements/{ref}", response_model=AgreementDetail, summary="One agreement")
def show_agreement(request: Request, ref: str, user: User = Depends(api_user)) -> dict[str, Any]:
    """The agreement, the events the caller may fire, its cooperation conditions and
    its Erasmus Without Paper status (`ewp`)."""
    from web.iia import ewp_details
    from workflow.agreements import show

    app = hamkor(request)
    a: dict[str, Any] = {**show(app.uow(), app.clock(), app.office(), ref, by=user["email"])}
    a["next_events"] = [{**ev, "reason": ev["reason"].text() if ev["reason"] else None}
                        for ev in a["next_events"]]
    return {**a, **ewp_details(app, a["ref"])}


@router.patch("/agreements/{ref}", response_model=AgreementOut,
               summary="Edit a draft, or correct an agreement past draft")
def edit_draft(request: Request, ref: str, body: DraftEditIn, user: User = Depends(api_user)) -> AgreementRow:
    """A draft takes every field. An agreement past draft that has not ended takes only
    `title`, `owner`, `department`, `notes` and `forms` (its terms change through the
    lifecycle); either way the history records an `edit` with each field's old and new
    value. The owner must be an officer, approver or admin."""
    from workflow.agreements import get_agreement
    from workflow.corrections import correct
    from workflow.drafts import update_draft
    from workflow.lifecycle import State

    app = hamkor(request)
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    with app.uow() as uow:
        state = get_agreement(uow.session, ref).state
    if state == State.DRAFT.value:
        return update_draft(app.uow(), app.clock(), app.office(), ref, changes, by=user["email"],
                            expected_version=body.version)
    return correct(app.uow(), app.clock(), ref, changes, by=user["email"], expected_version=body.version)


@router.get("/agreements/{ref}/history", response_model=list[HistoryOut],
            summary="The audit history, oldest first")
def agreement_history(request: Request, ref: str, user: User = Depends(api_user)) -> list[EventRow]:
    from workflow.agreements import history

    return history(hamkor(request).uow(), ref)


@router.post("/agreements/{ref}/events", response_model=AgreementOut,
             summary="Fire a lifecycle event (submit, approve, sign, give_notice, ...)")
def advance(request: Request, ref: str, body: EventIn, user: User = Depends(api_user)) -> AgreementRow:
    from workflow.agreements import advance as advance_agreement

    app = hamkor(request)
    return advance_agreement(app.uow(), app.clock(), app.office(), ref, body.event, by=user["email"],
                             note=body.note, on=body.on, party=body.party, effective=body.effective,
                             expected_version=body.version)


@router.post("/agreements/{ref}/renew", response_model=AgreementOut,
             status_code=status.HTTP_201_CREATED, summary="Create the successor draft")
def renew(request: Request, ref: str, body: RenewIn, user: User = Depends(api_user)) -> AgreementRow:
    from workflow.agreements import renew as renew_agreement

    app = hamkor(request)
    return renew_agreement(app.uow(), app.clock(), app.office(), ref, by=user["email"],
                           starts=body.starts, expires=body.expires, months=body.months, on=body.on,
                           expected_version=body.version)


@router.get("/partners", response_model=list[PartnerOut], summary="Partner organisations")
def partners(request: Request, user: User = Depends(api_user)) -> list[PartnerRow]:
    from workflow.registry import list_partners

    return list_partners(hamkor(request).uow())


@router.post("/partners", response_model=PartnerOut, status_code=status.HTTP_201_CREATED,
             summary="Add a partner organisation (officer or above)")
def add_partner(request: Request, body: PartnerIn, user: User = Depends(api_user)) -> PartnerRow:
    from workflow.registry import add_partner as add

    app = hamkor(request)
    fields = body.model_dump(exclude={"name"})
    return add(app.uow(), app.clock(), body.name, by=user["email"], **fields)


@router.get("/lifecycle", summary="The lifecycle table and its diagram")
def lifecycle(user: User = Depends(api_user)) -> dict[str, Any]:
    from workflow import diagram
    from workflow.lifecycle import TRANSITIONS

    return {
        "transitions": [
            {"event": t.event.value, "from": [s.value for s in t.sources],
             "to": t.dest.value if t.dest else None, "manual": t.manual, "automatic": t.automatic,
             "role": t.role.label, "note_required": t.note_required,
             "guards": [g.value for g in t.guards], "help": t.help}
            for t in TRANSITIONS
        ],
        "mermaid": diagram.mermaid(),
        "dot": diagram.dot(),
    }


@router.get("/outbox", summary="Outgoing notifications")
def outbox(request: Request, status_: str | None = Query(None, alias="status"),
           limit: int | None = Query(None, ge=1, le=rules.MAX_INT64),
           user: User = Depends(api_user)) -> list[OutboxRow]:
    from notifications import outbox as module

    return module.list_rows(hamkor(request).uow(), status=status_, limit=limit)


@router.post("/outbox/{row_id}/retry", summary="Queue a failed or dead notification again")
def outbox_retry(request: Request, row_id: RowId, user: User = Depends(api_user)) -> OutboxRow:
    from notifications import outbox as module

    return module.retry(hamkor(request).uow(), row_id, datetime.now(UTC), by=user["email"])



@router.get("/reports", summary="Annual reports generated so far")
def reports(request: Request, user: User = Depends(api_user)) -> list[ReportRow]:
    from reports import service as module

    return module.list_reports(hamkor(request).uow())


@router.post("/reports", status_code=status.HTTP_201_CREATED,
             summary="Generate an annual report (then GET /api/reports/{id}/file)")
def generate_report(request: Request, body: ReportIn, user: User = Depends(api_user)) -> GeneratedReport:
    from reports import service as module
    from web.report_pages import report_output

    app = hamkor(request)
    rules.year(body.year)
    req = module.ReportRequest(year=body.year, format=body.format, lang=body.lang,
                               department=body.department,
                               output=report_output(app, body.year, body.lang, body.format))
    return module.generate(app.uow(), app.clock(), req, institution=app.settings.institution,
                           institution_hei_id=app.settings.institution_hei_id,
                           year_start=app.office().year_start)


@router.get("/reports/{report_id}/file", summary="Download a generated report")
def report_file(request: Request, report_id: RowId, user: User = Depends(api_user)) -> Any:
    from reports import service as module
    from web.report_pages import _download
    from workflow.errors import NotFound

    rows = module.list_reports(hamkor(request).uow())
    rec = next((r for r in rows if r["id"] == report_id), None)
    if rec is None or not Path(rec["path"]).is_file():
        raise NotFound("report file", report_id)
    return _download(rec)
