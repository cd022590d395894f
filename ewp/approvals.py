"""Approvals by hash (IIAs Approval API v2): ours of the partner's copy, theirs of ours.

Each side approves the other's copy of the IIA by its iia-hash. Hamkor records
our approval of the partner's latest snapshot (``ewp approve``), writes our
approvals as an ``iias-approval-response`` for the partner, and records the
partner's approvals of our hashes from theirs. Nothing is ever un-recorded:
whether an approval still counts is derived - it counts while the hash it
approved is the current one - so an amendment (a new hash of our copy) or a
new partner copy makes the old approval stale without touching it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session
from typing_extensions import TypedDict  # pydantic: API responses on Python 3.11

from ewp.identity import Home
from ewp.model import hash_of
from ewp.reader import read_approval_response
from ewp.store import AgreementView, NotExportable, load_views, to_iia
from ewp.writer import Approval, approval_response
from models import Agreement, EwpApproval, EwpSnapshot
from workflow import rules
from workflow.agreements import agreement_to_change, record
from workflow.clock import Clock
from workflow.errors import Invalid, NotFound, Problem
from workflow.lifecycle import RecordEvent, Role
from workflow.registry import SYSTEM_ACTOR, named_actor
from workflow.uow import UnitOfWork

__all__ = ["approve", "export_approvals", "import_approvals", "status"]


def _latest_snapshots(s: Session, where: ColumnElement[bool]) -> dict[int, EwpSnapshot]:
    latest = (select(func.max(EwpSnapshot.id))
              .join(Agreement, Agreement.id == EwpSnapshot.agreement_id)
              .where(where).group_by(EwpSnapshot.agreement_id))
    return {x.agreement_id: x for x in s.scalars(select(EwpSnapshot).where(EwpSnapshot.id.in_(latest)))}


def _latest_approvals(s: Session, where: ColumnElement[bool], side: str) -> dict[int, EwpApproval]:
    latest = (select(func.max(EwpApproval.id))
              .join(Agreement, Agreement.id == EwpApproval.agreement_id)
              .where(where, EwpApproval.side == side).group_by(EwpApproval.agreement_id))
    return {x.agreement_id: x for x in s.scalars(select(EwpApproval).where(EwpApproval.id.in_(latest)))}


class Approved(TypedDict):
    """The partner's copy we approved (its iia-hash), and whether this request recorded it."""

    ref: str
    partner_iia_id: str | None
    iia_hash: str
    recorded: bool
    approved_by: str


class ApprovalListed(TypedDict):
    ref: str
    iia_id: str
    iia_hash: str


class ApprovalsImported(TypedDict):
    """A partner's approvals recorded: counts, and the agreements whose current copy
    (or an earlier one) the partner approved."""

    recorded: int
    unchanged: int
    agreements: list[str]
    current: list[str]
    stale: list[str]


class ApprovalStatus(TypedDict):
    ref: str
    state: str
    iia_id: str | None
    partner_iia_id: str | None
    hash: str | None
    partner_hash: str | None
    partner_valid_for_approval: bool | None
    we_approved: str | None
    partner_approved: str | None
    approved_by_us: bool
    approved_by_partner: bool
    mutual: bool
    #: Why there is no hash: the sentence (field names as the JSON API's), and the rule
    #: (workflow/rules.py `ewp.why.*`) and its values for a door to word it.
    problem: str | None
    problem_code: str | None
    problem_params: dict[str, Any] | None


def approve(uow: UnitOfWork, clock: Clock, ref: str, *, by: str | None) -> Approved:
    """Record our approval of the partner's latest copy (approvers only)."""
    with uow:
        s = uow.session
        a, who = agreement_to_change(uow, ref, by, Role.APPROVER, "approve EWP IIAs")
        snapshot = _latest_snapshots(s, Agreement.id == a.id).get(a.id)
        if snapshot is None:
            raise Invalid(rules.problem("ewp.no_copy", "ref", ref=a.ref))
        if not snapshot.valid_for_approval:
            raise Invalid(rules.problem("ewp.copy_invalid", "ref", ref=a.ref,
                                        iia_hash=snapshot.iia_hash))
        mine = _latest_approvals(s, Agreement.id == a.id, "ours").get(a.id)
        if mine is not None and mine.iia_hash == snapshot.iia_hash:
            return {"ref": a.ref, "partner_iia_id": a.partner_iia_id,
                    "iia_hash": snapshot.iia_hash, "recorded": False,
                    "approved_by": mine.approved_by}
        s.add(EwpApproval(agreement_id=a.id, side="ours", iia_hash=snapshot.iia_hash,
                          approved_at=clock.utcnow, approved_by=who.email,
                          snapshot_id=snapshot.id))
        record(s, a, RecordEvent.EWP_APPROVAL, actor=who.email, on=clock.today, clock=clock,
               from_state=a.state, to_state=a.state,
               note=f"approved the partner's copy, iia-hash {snapshot.iia_hash}")
        uow.commit()
        return {"ref": a.ref, "partner_iia_id": a.partner_iia_id, "iia_hash": snapshot.iia_hash,
                "recorded": True, "approved_by": who.email}


def export_approvals(uow: UnitOfWork, refs: Sequence[str] = ()) -> tuple[bytes, list[ApprovalListed]]:
    """An ``iias-approval-response`` with our latest approval of each agreement ``refs``
    (every agreement we approved if empty): the partner's iia-id and the hash we approved."""
    wanted = [r.strip().upper() for r in refs]
    with uow:
        s = uow.session
        where = Agreement.ref.in_(wanted) if wanted else Agreement.id.is_not(None)
        mine = _latest_approvals(s, where, "ours")
        agreements = {a.id: a for a in s.scalars(select(Agreement).where(where))}
        for ref in wanted:
            a = next((x for x in agreements.values() if x.ref == ref), None)
            if a is None:
                raise NotFound("agreement", ref)
            if a.id not in mine:
                raise Invalid(rules.problem("ewp.not_approved", "ref", ref=ref))
        chosen = sorted((agreements[i] for i in mine), key=lambda a: (a.ref_year, a.ref_seq))
        if wanted:
            chosen.sort(key=lambda a: wanted.index(a.ref))
        listed: list[ApprovalListed] = []
        for a in chosen:
            if a.partner_iia_id is None:  # approvals need a snapshot, which maps it
                raise Invalid(rules.problem("ewp.no_partner_iia_id", "ref", ref=a.ref))
            listed.append({"ref": a.ref, "iia_id": a.partner_iia_id,
                           "iia_hash": mine[a.id].iia_hash})
        xml = approval_response(Approval(x["iia_id"], x["iia_hash"]) for x in listed)
        return xml, listed


def import_approvals(uow: UnitOfWork, clock: Clock, home: Home, xml: bytes, *, source: str,
                     by: str | None) -> ApprovalsImported:
    """Record the partner's approvals of our copies from their ``iias-approval-response``.

    The iia-ids are ours; an unknown one refuses the whole file. Returns
    ``{recorded, unchanged, agreements, current, stale}`` (current: the hash
    approved is our copy's hash now).
    """
    home.require_hei_id()
    approvals = read_approval_response(xml)
    with uow:
        s = uow.session
        who = named_actor(s, by, Role.OFFICER, "record EWP approvals")
        ids = [x.iia_id for x in approvals]
        found = {a.iia_id: a for a in s.scalars(select(Agreement).where(Agreement.iia_id.in_(ids)))}
        unknown = [i for i in ids if i not in found]
        if unknown:
            raise Invalid(rules.problem("ewp.unknown_iia_ids", ids=", ".join(unknown)))
        theirs = _latest_approvals(s, Agreement.iia_id.in_(ids), "partner")
        views = {v.id: v for v in load_views(s, Agreement.iia_id.in_(ids), home)}
        out: ApprovalsImported = {"recorded": 0, "unchanged": 0, "agreements": [], "current": [],
                                  "stale": []}
        for x in approvals:
            a = found[x.iia_id]
            uow.subject = a.ref
            out["agreements"].append(a.ref)
            current = _our_hash(views[a.id], home)[0]
            (out["current"] if current == x.iia_hash else out["stale"]).append(a.ref)
            latest = theirs.get(a.id)
            if latest is not None and latest.iia_hash == x.iia_hash:
                out["unchanged"] += 1
                continue
            partner = next((p.organization for p in a.parties
                            if not home.is_home(p.organization.name_key, p.organization.hei_id)),
                           None)
            approver = (partner.hei_id or partner.name) if partner is not None else "partner"
            theirs[a.id] = EwpApproval(agreement_id=a.id, side="partner", iia_hash=x.iia_hash,
                                       approved_at=clock.utcnow, approved_by=approver)
            s.add(theirs[a.id])
            when = "our current copy" if current == x.iia_hash else "an earlier copy of ours"
            record(s, a, RecordEvent.EWP_PARTNER_APPROVAL, actor=who.email if who else SYSTEM_ACTOR,
                   on=clock.today, clock=clock, from_state=a.state, to_state=a.state,
                   note=f"{approver} approved {when}, iia-hash {x.iia_hash} ({source})")
            out["recorded"] += 1
        uow.commit()
        return out


def _our_hash(view: AgreementView, home: Home) -> tuple[str | None, Problem | None]:
    """Our copy's hash now (None before the IIA id is assigned), and why there is none."""
    if view.iia_id is None:
        return None, rules.problem("ewp.why.no_iia_id")
    try:
        return hash_of(to_iia(view, home)), None
    except NotExportable as exc:
        return None, exc.why


def status(uow: UnitOfWork, home: Home, ref: str | None = None) -> list[ApprovalStatus]:
    """Approval status per agreement (``ref``, or every agreement with an IIA id).

    ``approved_by_partner`` holds while the partner's latest approval is of our
    copy's current hash; ``approved_by_us`` while our latest approval is of the
    partner's latest copy; ``mutual`` when both hold.
    """
    home.require_hei_id()
    with uow:
        s = uow.session
        where = (Agreement.ref == ref.strip().upper()) if ref else Agreement.iia_id.is_not(None)
        views = load_views(s, where, home)
        if ref and not views:
            raise NotFound("agreement", ref)
        snapshots = _latest_snapshots(s, where)
        mine = _latest_approvals(s, where, "ours")
        theirs = _latest_approvals(s, where, "partner")
        rows: list[ApprovalStatus] = []
        for v in views:
            our, why = _our_hash(v, home)
            snap = snapshots.get(v.id)
            partner_hash = snap.iia_hash if snap else None
            ours_approved = mine[v.id].iia_hash if v.id in mine else None
            theirs_approved = theirs[v.id].iia_hash if v.id in theirs else None
            by_us = partner_hash is not None and ours_approved == partner_hash
            by_partner = our is not None and theirs_approved == our
            rows.append({
                "ref": v.ref,
                "state": v.state,
                "iia_id": v.iia_id,
                "partner_iia_id": v.partner_iia_id,
                "hash": our,
                "partner_hash": partner_hash,
                "partner_valid_for_approval": snap.valid_for_approval if snap else None,
                "we_approved": ours_approved,
                "partner_approved": theirs_approved,
                "approved_by_us": by_us,
                "approved_by_partner": by_partner,
                "mutual": by_us and by_partner,
                "problem": why.text() if why else None,
                "problem_code": why.code if why else None,
                "problem_params": dict(why.params) if why else None,
            })
        return rows
