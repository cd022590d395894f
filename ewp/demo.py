"""EWP in the demo: realistic conditions for the Politecnico di Torino partnership and
a whole exchange with the partner, simulated, written into the demo output.

`partner_copy` and `partner_approvals` play the partner's side (pure: they turn
our documents into what the partner's EWP server would send back); the tests
use them too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TypedDict

from ewp.approvals import ApprovalStatus, approve, export_approvals, import_approvals, status
from ewp.conditions import ConditionChange, ConditionInput, add_condition
from ewp.exchange import export_iias, import_iias
from ewp.identity import Home
from ewp.model import hash_of
from ewp.reader import read_get_response
from ewp.writer import Approval, approval_response, get_response
from workflow.clock import Clock
from workflow.uow import UnitOfWork

__all__ = ["DEMO_CONDITIONS", "apply_demo_conditions", "partner_approvals", "partner_copy",
           "run_exchange"]

HOME, PARTNER = "home", "partner"

#: The TTPU-Politecnico di Torino partnership's conditions: both directions, students
#: (studies and traineeships) and staff, five academic years from 2025/2026.
DEMO_CONDITIONS: tuple[ConditionInput, ...] = (
    ConditionInput(kind="student-studies", sending=HOME, receiving=PARTNER,
                   years="2025/2026:2029/2030", mobilities=6, months="5", blended=True,
                   isced=("0714:Mechatronics", "0613"), languages=("en:B2", "it:A2"),
                   eqf=(6, 7)),
    ConditionInput(kind="student-studies", sending=PARTNER, receiving=HOME,
                   years="2025/2026:2029/2030", mobilities=4, months="5",
                   isced=("0715", "0731"), languages=("en:B2",), eqf=(6, 7)),
    ConditionInput(kind="student-traineeship", sending=HOME, receiving=PARTNER,
                   years="2026/2027:2029/2030", mobilities=2, months="3",
                   isced=("0716:Automotive engineering",), languages=("en:B1",), eqf=(7,)),
    ConditionInput(kind="staff-teacher", sending=PARTNER, receiving=HOME,
                   years="2025/2026:2029/2030", mobilities=3, days="10",
                   isced=("0714",), languages=("en:C1",),
                   info="Intensive courses in the autumn semester, hosted in Tashkent."),
    ConditionInput(kind="staff-teacher", sending=HOME, receiving=PARTNER,
                   years="2025/2026:2029/2030", mobilities=2, days="7",
                   isced=("0731",), languages=("en:C1",)),
    ConditionInput(kind="staff-training", sending=HOME, receiving=PARTNER,
                   years="2025/2026:2029/2030", mobilities=2, days="5", languages=("en:B2",),
                   info="International office staff week."),
)


def apply_demo_conditions(uow: Callable[[], UnitOfWork], clock: Clock, home: Home, ref: str, *,
                          partner: str = "Politecnico di Torino", partner_hei_id: str = "polito.it",
                          by: str) -> list[ConditionChange]:
    """Give ``partner`` its hei-id and ``ref`` the :data:`DEMO_CONDITIONS`.

    Call it while ``ref`` is a draft or in review (afterwards each one is an
    amendment). ``uow`` makes a fresh unit of work (``app.uow``); ``by`` is an
    officer. Returns what each `add_condition` returned.
    """
    from workflow.partners import edit_partner

    edit_partner(uow(), clock, partner, {"hei_id": partner_hei_id}, actor_email=by)
    parties = {HOME: home.require_hei_id(), PARTNER: partner_hei_id}
    return [add_condition(uow(), clock, home, ref,
                          replace(ci, sending=parties[ci.sending], receiving=parties[ci.receiving]),
                          by=by)
            for ci in DEMO_CONDITIONS]


def partner_copy(our_response: bytes, partner_ids: Mapping[str, str],
                 codes: Mapping[str, str] | None = None) -> bytes:
    """The get response the partner would publish for the IIAs of ``our_response``:
    the same conditions, the partner first with its own iia-id (``partner_ids`` maps
    our iia-id to theirs) and iia-code, our ids kept as the mapping."""
    iias = []
    for item in read_get_response(our_response):
        ours = item.iia.partners[0].iia_id or ""
        iias.append(item.iia.mirrored(partner_ids[ours], iia_code=(codes or {}).get(ours)))
    return get_response(iias)


def partner_approvals(our_response: bytes) -> bytes:
    """The approval response the partner would send after approving every IIA of
    ``our_response`` as it is (our iia-id, our hash)."""
    return approval_response(Approval(item.iia.partners[0].iia_id or "", hash_of(item.iia))
                             for item in read_get_response(our_response))


class ExchangeRun(TypedDict):
    """The demo exchange: the documents written (name -> path) and the final status."""

    files: dict[str, Path]
    status: ApprovalStatus


def run_exchange(uow: Callable[[], UnitOfWork], clock: Clock, home: Home, ref: str, out_dir: Path,
                 *, approver: str, partner_iia_id: str = "polito-iia-2025-017",
                 partner_iia_code: str = "PoliTo/E+/2025/017") -> ExchangeRun:
    """Simulate the whole EWP exchange for ``ref`` and write its documents to ``out_dir``.

    1. our IIA is exported (its IIA id assigned);
    2. the partner's copy of it is imported (mapping and snapshot);
    3. ``approver`` approves the partner's copy;
    4. our IIA, now mapped, and our approval are written;
    5. the partner's approval of our copy is recorded: mutually approved.

    Returns ``{"files": {name: path}, "status": <ewp status row of ref>}``. Files:
    ``ewp-iias.xml`` (our get response), ``ewp-partner-iias.xml`` (the partner's),
    ``ewp-approvals.xml`` (ours), ``ewp-partner-approvals.xml`` (theirs).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    first = export_iias(uow(), home, [ref])
    ours_id = first.exported[0]["iia_id"]
    theirs = partner_copy(first.xml, {ours_id: partner_iia_id}, {ours_id: partner_iia_code})
    import_iias(uow(), clock, home, theirs, source="ewp-partner-iias.xml", by=None)
    approve(uow(), clock, ref, by=approver)
    final = export_iias(uow(), home, [ref])
    approvals_xml, _ = export_approvals(uow(), [ref])
    their_approval = partner_approvals(final.xml)
    import_approvals(uow(), clock, home, their_approval, source="ewp-partner-approvals.xml",
                     by=None)
    files = {"ewp-iias.xml": final.xml, "ewp-partner-iias.xml": theirs,
             "ewp-approvals.xml": approvals_xml, "ewp-partner-approvals.xml": their_approval}
    paths = {}
    for name, data in files.items():
        paths[name] = out_dir / name
        paths[name].write_bytes(data)
    [row] = status(uow(), home, ref)
    return {"files": paths, "status": row}
