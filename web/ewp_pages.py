"""The Erasmus Without Paper exchange in the browser (`/ewp`) and the JSON API (`/api/ewp`).

The services of `hamkor ewp ...` with their role rules: anyone signed in sees the
overview and downloads our IIAs and approvals; officers import a partner's IIAs (after a
dry-run preview of what they would create or change, the file kept on the server) and
the partner's approvals; approvers approve the partner's copy.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from ewp.approvals import ApprovalsImported, Approved
from web import forms, staging
from web.errors import humanize, status_for
from web.i18n import Translator
from web.iia import approval_summary
from web.render import flash, redirect, render, translator
from web.security import api_user, checked_form, page_user
from web.state import hamkor
from workflow import rules
from workflow.errors import HamkorError, Invalid
from workflow.transfer.limits import MAX_FILE_BYTES

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])
User = dict[str, Any]
XML = "application/xml"
_XML_BODY = {"requestBody": {"required": True, "content": {XML: {"schema": {"type": "string"}}}}}


def overview(app: Any, t: Translator | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Every IIA's status (`hamkor ewp status`) with ``mapped`` and ``approval``; or why
    there is none (the home institution's hei-id is not configured), in `t`'s language."""
    from ewp.approvals import status

    try:
        rows = status(app.uow(), app.home())
    except HamkorError as exc:
        return [], humanize(exc, t)
    return [{**r, "mapped": bool(r["iia_id"] and r["partner_iia_id"]),
             "approval": approval_summary(r)} for r in rows], None


def _download(body: bytes, name: str) -> Response:
    return Response(body, media_type=XML, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- pages ------------------------------------------------------------------------------------


def _page(request: Request, *, error: str | None = None, status: int = 200,
          preview: Any = None, token: str | None = None, source: str | None = None) -> Response:
    app = hamkor(request)
    rows, note = overview(app, translator(request))
    return render(request, "ewp.html", {
        "rows": rows, "note": note, "error": error, "preview": preview, "token": token,
        "source": source, "nav": "ewp", "ewp_configured": bool(app.settings.institution_hei_id),
    }, status=status)


def _refusal(request: Request, exc: HamkorError) -> str:
    t = translator(request)
    return f"{humanize(exc, t)}. {t('ag.nothing_changed')}"


def _xml_upload(request: Request, form: FormData) -> tuple[str, bytes]:
    t = translator(request)
    try:
        return staging.take_upload(form, "iias")
    except staging.TooLarge:
        raise Invalid(t("imp.too_large", mb=MAX_FILE_BYTES // (1024 * 1024))) from None
    except staging.Unusable:
        raise Invalid(t("x.choose")) from None


@pages.get("/ewp", response_class=HTMLResponse)
def ewp_page(request: Request, user: User = Depends(page_user)) -> Response:
    return _page(request)


@pages.get("/ewp/iias.xml")
def ewp_export(request: Request, user: User = Depends(page_user)) -> Response:
    from ewp.exchange import export_iias

    app = hamkor(request)
    try:
        result = export_iias(app.uow(), app.home())
    except HamkorError as exc:
        return _page(request, error=_refusal(request, exc), status=status_for(exc))
    return _download(result.xml, f"iias-{app.clock().today.isoformat()}.xml")


@pages.post("/ewp/iias/preview")
def ewp_import_preview(request: Request, user: User = Depends(page_user),
                       form: FormData = Depends(checked_form)) -> Response:
    from ewp.exchange import import_iias

    app = hamkor(request)
    try:
        name, data = _xml_upload(request, form)
        kept, outcome = staging.preview(request, "iias", name, data, lambda kept: import_iias(
            app.uow(immediate=True), app.clock(), app.home(), data, source=kept.name,
            by=user["email"], dry_run=True))
    except HamkorError as exc:
        staging.discard(request, "iias")  # a refused upload ends the earlier preview too
        return _page(request, error=_refusal(request, exc), status=status_for(exc))
    return _page(request, preview=outcome, token=kept.token, source=kept.name)


@pages.post("/ewp/iias/confirm")
def ewp_import_confirm(request: Request, user: User = Depends(page_user),
                       form: FormData = Depends(checked_form)) -> Response:
    from ewp.exchange import import_iias

    app = hamkor(request)
    t = translator(request)

    def page(error: str, status: int) -> Response:
        return _page(request, error=error, status=status)

    return staging.confirm(
        request, "iias", form, "/ewp",
        lambda kept: import_iias(app.uow(immediate=True), app.clock(), app.home(), kept.read(),
                                 source=kept.name, by=user["email"], expect=kept.expect),
        page=page, refused=lambda kept, exc: page(_refusal(request, exc), status_for(exc)),
        done=lambda kept, outcome: t("x.imported", source=kept.name,
                                     created=len(outcome.created), updated=len(outcome.updated),
                                     unchanged=len(outcome.unchanged)))


@pages.post("/ewp/iias/cancel")
def ewp_import_cancel(request: Request, user: User = Depends(page_user),
                      form: FormData = Depends(checked_form)) -> Response:
    staging.discard(request, "iias")
    return redirect("/ewp")


@pages.post("/ewp/{ref}/approve")
def ewp_approve(request: Request, ref: str, user: User = Depends(page_user),
                form: FormData = Depends(checked_form)) -> Response:
    from ewp.approvals import approve

    app = hamkor(request)
    t = translator(request)
    try:
        out = approve(app.uow(), app.clock(), ref, by=user["email"])
    except HamkorError as exc:
        return _page(request, error=_refusal(request, exc), status=status_for(exc))
    key = "x.approved" if out["recorded"] else "x.already"
    flash(request, "ok", t(key, ref=out["ref"], hash=out["iia_hash"][:12] + "…",
                           by=out.get("approved_by") or ""))
    back = forms.text(form, "next")
    return redirect(back if back and back.startswith("/agreements/") else "/ewp")


@pages.get("/ewp/approvals.xml")
def ewp_approvals_export(request: Request, user: User = Depends(page_user)) -> Response:
    from ewp.approvals import export_approvals

    app = hamkor(request)
    xml, _listed = export_approvals(app.uow())
    return _download(xml, f"approvals-{app.clock().today.isoformat()}.xml")


@pages.post("/ewp/approvals")
def ewp_approvals_import(request: Request, user: User = Depends(page_user),
                         form: FormData = Depends(checked_form)) -> Response:
    from ewp.approvals import import_approvals

    app = hamkor(request)
    t = translator(request)
    try:
        name, data = _xml_upload(request, form)
        out = import_approvals(app.uow(immediate=True), app.clock(), app.home(), data,
                               source=staging.safe_name(name, ".xml"), by=user["email"])
    except HamkorError as exc:
        return _page(request, error=_refusal(request, exc), status=status_for(exc))
    message = t("x.approvals_done", source=staging.safe_name(name, ".xml"),
                recorded=out["recorded"], unchanged=out["unchanged"])
    if out["stale"]:
        message += " " + t("x.approvals_stale", refs=", ".join(out["stale"]))
    flash(request, "ok", message)
    return redirect("/ewp")


# --- JSON API ---------------------------------------------------------------------------------


async def _xml_body(request: Request) -> bytes:
    """The request's XML, refused past the reader's limit without reading more."""
    from ewp.reader import MAX_FILE_BYTES

    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FILE_BYTES:
            raise Invalid(rules.problem("file.body_size", "file", most=MAX_FILE_BYTES))
    return body


@api.post("/ewp/hash", summary="Recompute the iia-hash of every IIA in a v7 get response",
          openapi_extra=_XML_BODY)
async def api_hash(request: Request, user: User = Depends(api_user)) -> list[dict[str, Any]]:
    """The body is the XML file; for each IIA: its declared and computed hash, whether
    they match and whether the copy may be approved. Nothing is stored."""
    import xml.etree.ElementTree as ET

    from starlette.concurrency import run_in_threadpool

    from ewp.iia_hash import HashRefused, hash_document

    xml = await _xml_body(request)
    try:
        results = await run_in_threadpool(hash_document, xml)
    except ET.ParseError as exc:
        raise Invalid(rules.problem("ewp.xml", "file", detail=str(exc))) from None
    except HashRefused as exc:
        raise Invalid(rules.problem(exc.code, "file", **exc.params)) from None
    except ValueError as exc:  # any other: the parser's own words inside ours
        raise Invalid(rules.problem("ewp.xml", "file", detail=str(exc))) from None
    return [{"iia_id": r.iia_id, "declared": r.declared, "computed": r.computed,
             "matches": r.matches, "valid_for_approval": r.valid_for_approval} for r in results]


@api.get("/ewp/status", summary="Every IIA: ids, hashes, approvals (ours, the partner's), mutual, stale")
def api_status(request: Request, ref: str | None = None, user: User = Depends(api_user)) -> list[dict[str, Any]]:
    """`hamkor ewp status --json`, each row with `mapped` (both IIA ids known) and
    `approval`: mutual | stale | approved_by_partner | approved_by_us | none."""
    from ewp.approvals import status

    app = hamkor(request)
    return [{**r, "mapped": bool(r["iia_id"] and r["partner_iia_id"]), "approval": approval_summary(r)}
            for r in status(app.uow(), app.home(), ref)]


@api.get("/ewp/iias", summary="Our IIAs as an IIAs v7 get response (XML)",
         response_class=Response, responses={200: {"content": {XML: {}}}})
def api_export(request: Request, ref: list[str] | None = None, user: User = Depends(api_user)) -> Response:
    """Every bilateral agreement with a partner that has a hei-id, or those given as `ref`;
    skipped ones are named in the `X-Hamkor-Skipped` header."""
    from ewp.exchange import export_iias

    app = hamkor(request)
    result = export_iias(app.uow(), app.home(), tuple(ref or ()))
    response = Response(result.xml, media_type=XML)
    if result.skipped:
        response.headers["X-Hamkor-Skipped"] = ", ".join(r for r, _ in result.skipped)[:1000]
    return response


@api.post("/ewp/iias/import", summary="Import a partner's IIAs v7 get response: all or nothing",
          openapi_extra=_XML_BODY)
async def api_import(request: Request, dry_run: bool = False, expect: str | None = None,
                     user: User = Depends(api_user)) -> dict[str, Any]:
    """The body is the XML file. `dry_run` reports what it would create or change and its
    `digest`; an import with `expect` set to that digest is refused if the result differs."""
    from starlette.concurrency import run_in_threadpool

    from ewp.exchange import import_iias

    app = hamkor(request)
    xml = await _xml_body(request)
    outcome = await run_in_threadpool(
        import_iias, app.uow(immediate=True), app.clock(), app.home(), xml, source="api",
        by=user["email"], dry_run=dry_run, expect=expect)
    return {**outcome.as_dict(), "created_refs": outcome.created, "updated_refs": outcome.updated,
            "digest": outcome.digest()}


@api.post("/agreements/{ref}/ewp/approve", summary="Approve the partner's latest copy (approvers)")
def api_approve(request: Request, ref: str, user: User = Depends(api_user)) -> Approved:
    from ewp.approvals import approve

    app = hamkor(request)
    return approve(app.uow(), app.clock(), ref, by=user["email"])


@api.get("/ewp/approvals", summary="Our approvals as an IIA Approval v2 response (XML)",
         response_class=Response, responses={200: {"content": {XML: {}}}})
def api_approvals_export(request: Request, ref: list[str] | None = None,
                         user: User = Depends(api_user)) -> Response:
    from ewp.approvals import export_approvals

    xml, _listed = export_approvals(hamkor(request).uow(), tuple(ref or ()))
    return Response(xml, media_type=XML)


@api.post("/ewp/approvals/import", summary="Record a partner's approvals (IIA Approval v2 XML)",
          openapi_extra=_XML_BODY)
async def api_approvals_import(request: Request, user: User = Depends(api_user)) -> ApprovalsImported:
    """Returns `recorded`, `unchanged`, `agreements`, `current` and `stale`."""
    from starlette.concurrency import run_in_threadpool

    from ewp.approvals import import_approvals

    app = hamkor(request)
    xml = await _xml_body(request)
    return await run_in_threadpool(import_approvals, app.uow(immediate=True), app.clock(),
                                   app.home(), xml, source="api", by=user["email"])
