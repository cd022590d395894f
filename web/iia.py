"""An agreement's Erasmus Without Paper side, for its page and its API detail.

Both come from the EWP services the CLI uses (`hamkor agreement conditions
list`, `hamkor ewp status`), with the home institution the composition root
builds. Without HAMKOR_INSTITUTION_HEI_ID the conditions and the IIA ids are
still shown; the hashes and approvals are not, and a note says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workflow.errors import HamkorError, Invalid

if TYPE_CHECKING:
    from ewp.approvals import ApprovalStatus
    from models import Agreement, MobilitySpec
    from root import App

__all__ = ["NOT_CONFIGURED", "approval_summary", "ewp_details"]

#: The note when the home institution's hei-id is not configured.
NOT_CONFIGURED = ("HAMKOR_INSTITUTION_HEI_ID is not set: hashes and approvals need the "
                  "home institution's hei-id")


def approval_summary(row: ApprovalStatus) -> str:
    """One word for the approval status of a `hamkor ewp status` row.

    ``mutual``; ``stale`` when the partner approved a hash that is not our
    current one (an amendment since); ``approved_by_partner``;
    ``approved_by_us``; ``none``.
    """
    if row["mutual"]:
        return "mutual"
    if row["partner_approved"] and not row["approved_by_partner"]:
        return "stale"
    if row["approved_by_partner"]:
        return "approved_by_partner"
    if row["approved_by_us"]:
        return "approved_by_us"
    return "none"


def ewp_details(app: App, ref: str, *, agreement: Agreement | None = None) -> dict[str, Any]:
    """``{"conditions": [...], "ewp": {...}}`` of agreement ``ref``.

    ``conditions``: as `hamkor agreement conditions list --json`, each with
    ``summary`` (its one-line description). ``ewp``: ``iia_id``,
    ``partner_iia_id``, then - when the home institution's hei-id is set - the
    fields of `hamkor ewp status --json` (``hash``, ``partner_hash``,
    ``approved_by_us``, ``approved_by_partner``, ``mutual``, ...) and
    ``approval`` (see :func:`approval_summary`); otherwise those are None and
    ``note`` says why.
    """
    return ewp_details_and_rows(app, ref, agreement=agreement)[0]


def ewp_details_and_rows(app: App, ref: str, *, agreement: Agreement | None = None,
                         any_conditions: bool = True) -> tuple[dict[str, Any], list[MobilitySpec]]:
    """`ewp_details`, and the conditions' rows (the agreement page's quotas are read from
    them). `agreement`: the agreement (parties, organisations) when read already, in the
    session of `app.uow()`; `any_conditions`: False when it is known to have none."""
    from ewp.approvals import status
    from ewp.conditions import describe, details_of
    from workflow.agreements import get_agreement

    home = app.home()
    with app.uow() as uow:
        details, rows = details_of(uow.session, agreement if agreement is not None
                                   else get_agreement(uow.session, ref), home,
                                   any_conditions=any_conditions)
    conditions = [{**c, "summary": describe(c)} for c in details["conditions"]]
    ewp: dict[str, Any] = {
        "iia_id": details["iia_id"], "partner_iia_id": details["partner_iia_id"],
        "hash": None, "partner_hash": None, "partner_valid_for_approval": None,
        "we_approved": None, "partner_approved": None, "approved_by_us": None,
        "approved_by_partner": None, "mutual": None, "approval": None, "problem": None,
        "problem_code": None, "problem_params": None, "note": None, "note_code": None,
        "note_params": None,
    }
    try:
        [row] = status(app.uow(), home, ref)
    except HamkorError as exc:
        ewp["note"] = NOT_CONFIGURED if not home.hei_id else str(exc)
        if home.hei_id and isinstance(exc, Invalid):  # a rule a page words in its reader's language
            ewp["note_code"], ewp["note_params"] = exc.problem.code, dict(exc.problem.params)
        return {"conditions": conditions, "ewp": ewp}, rows
    for key in ("hash", "partner_hash", "partner_valid_for_approval", "we_approved",
                "partner_approved", "approved_by_us", "approved_by_partner", "mutual", "problem",
                "problem_code", "problem_params"):
        ewp[key] = row[key]
    ewp["approval"] = approval_summary(row)
    return {"conditions": conditions, "ewp": ewp}, rows
