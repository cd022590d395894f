"""An agreement's files on the web and in the JSON API: list, upload, download, remove,
and "Generate document".

The services decide (roles, types, limits); a refusal re-renders the agreement
page with the reason (pages) or answers `{"detail": ...}` (API). Downloads are
always sent as attachments with the content's own media type and
`X-Content-Type-Options: nosniff`, so a browser never renders an upload inline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile, status
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.datastructures import FormData, UploadFile as StarletteUpload

from web import forms
from web.errors import humanize, status_for
from web.forms import RowId
from web.render import flash, redirect, translator
from web.security import api_user, checked_form, page_user
from web.state import hamkor
from workflow import rules
from workflow.errors import HamkorError, Invalid

if TYPE_CHECKING:
    from documents.attachments import FileRow
    from documents.generate import Document
    from models import Agreement
    from root import App

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["files"])
User = dict[str, Any]
#: Room for the multipart envelope and the form's other fields around the file.
_ENVELOPE = 64 * 1024


def _store(app: App) -> Any:
    from documents.service import file_store

    return file_store(app)


def _too_large(request: Request, app: App) -> Invalid | None:
    """Refuse an upload by its declared length before reading it."""
    from documents.storage import TooLarge

    limit = app.settings.max_upload_mb * 1024 * 1024
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit + _ENVELOPE:
        return TooLarge(limit)
    return None


def files_context(app: App, agreement: Agreement, *, any_files: bool = True) -> dict[str, Any]:
    """What the agreement page shows about files (used by `web.pages.agreement_page`,
    which passes the agreement it has read in the session of `app.uow()`, and whether it
    has any files)."""
    from documents.attachments import files_of
    from documents.generate import LANGS, available, default_template

    files = []
    if any_files:
        with app.uow() as uow:
            files = files_of(uow.session, agreement, include_removed=True)
    return {"files": files,
            "file_kinds": _kinds(), "max_upload_mb": app.settings.max_upload_mb,
            "doc_templates": list(available(app.settings.templates_dir)),
            "doc_default": default_template(agreement.type), "doc_langs": LANGS}


def _kinds() -> tuple[str, ...]:
    from models import ATTACHMENT_KINDS

    return ATTACHMENT_KINDS


def _send(app: App, f: FileRow) -> Response:
    store = _store(app)
    path = store.local_path(f["sha256"])
    headers = {"X-Content-Type-Options": "nosniff", "X-Hamkor-SHA256": f["sha256"]}
    if path is not None:
        if not path.is_file():
            raise Invalid(rules.problem("file.stored_missing", "file", name=f["name"]))
        return FileResponse(path, media_type=f["media_type"], filename=f["name"],
                            content_disposition_type="attachment", headers=headers)
    stream = store.open(f["sha256"])
    return StreamingResponse(stream, media_type=f["media_type"], headers={
        **headers, "Content-Disposition": _disposition(f["name"])})


def _disposition(name: str) -> str:
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f'attachment; filename="{ascii_name}"; filename*=utf-8\'\'{quote(name)}'


def _document_response(doc: Document) -> Response:
    return Response(doc.data, media_type=doc.media_type, headers={
        "Content-Disposition": _disposition(doc.filename), "X-Content-Type-Options": "nosniff",
        "X-Hamkor-Template-SHA256": doc.template.sha256})


# --- pages ----------------------------------------------------------------------------------


def _refused(request: Request, user: User, ref: str, exc: HamkorError,
             values: dict[str, Any] | None = None) -> Response:
    from web.pages import agreement_page

    message = f"{humanize(exc, translator(request))}. {translator(request)('ag.nothing_changed')}"
    return agreement_page(request, user, ref, error=message, status=status_for(exc), values=values)


@pages.post("/agreements/{ref}/files")
async def upload(request: Request, ref: str, user: User = Depends(page_user)) -> Response:
    from starlette.concurrency import run_in_threadpool

    from documents.attachments import Upload, attach
    from web.security import checked_form as check

    app = hamkor(request)
    if (big := _too_large(request, app)) is not None:
        return _refused(request, user, ref, big, {"event": "upload"})
    form = await check(request)
    item = form.get("file")
    values = {"event": "upload", "kind": forms.text(form, "kind"), "file_note": forms.text(form, "note")}
    try:
        if not isinstance(item, StarletteUpload) or not item.filename:
            raise Invalid(rules.problem("file.choose", "file"))
        f = await run_in_threadpool(
            attach, app.uow(), app.clock(), _store(app), ref, item.file,
            Upload(name=item.filename, kind=forms.text(form, "kind") or "other",
                   note=forms.text(form, "note")), by=user["email"],
            limit_mb=app.settings.max_upload_mb)
    except HamkorError as exc:
        return _refused(request, user, ref, exc, values)
    finally:
        if isinstance(item, StarletteUpload):
            await item.close()
    flash(request, "ok", translator(request)("files.stored", name=f["name"], sha=f["sha256"]))
    return redirect(f"/agreements/{ref.upper()}#files")


@pages.get("/agreements/{ref}/files/{file_id}")
def download(request: Request, ref: str, file_id: RowId, user: User = Depends(page_user)) -> Response:
    from documents.attachments import get_file
    from web.pages import error_page

    app = hamkor(request)
    try:
        return _send(app, get_file(app.uow(), ref, file_id))
    except HamkorError as exc:
        return error_page(request, exc)


@pages.post("/agreements/{ref}/files/{file_id}/remove")
def remove(request: Request, ref: str, file_id: RowId, user: User = Depends(page_user),
           form: FormData = Depends(checked_form)) -> Response:
    from documents.attachments import detach

    app = hamkor(request)
    try:
        f = detach(app.uow(), app.clock(), ref, file_id, reason=forms.text(form, "reason"),
                   by=user["email"])
    except HamkorError as exc:
        return _refused(request, user, ref, exc, {"event": "remove", "file_id": file_id})
    flash(request, "ok", translator(request)("files.removed", name=f["name"]))
    return redirect(f"/agreements/{ref.upper()}#files")


@pages.post("/agreements/{ref}/document")
def document(request: Request, ref: str, user: User = Depends(page_user),
             form: FormData = Depends(checked_form)) -> Response:
    app = hamkor(request)
    values = {"event": "document", "template": forms.text(form, "template"),
              "doc_lang": forms.text(form, "lang"), "doc_format": forms.text(form, "format")}
    from documents.service import attach_document, check_may_attach, render_document

    try:
        keep = forms.flag(form, "attach")
        if keep:
            check_may_attach(app, user["email"])
        doc = render_document(app, ref, template=forms.text(form, "template"),
                              lang=forms.text(form, "lang") or "en",
                              fmt=forms.text(form, "format") or "docx")
        if keep:
            f = attach_document(app, ref, doc, by=user["email"])
    except HamkorError as exc:
        return _refused(request, user, ref, exc, values)
    if keep:
        flash(request, "ok", translator(request)("files.stored", name=f["name"], sha=f["sha256"]))
        return redirect(f"/agreements/{ref.upper()}#files")
    return _document_response(doc)


# --- JSON API -------------------------------------------------------------------------------


class FileOut(BaseModel):
    id: int
    name: str = Field(description="Sanitised name; downloads use it.")
    kind: str = Field(examples=["signed-copy"])
    size: int
    sha256: str = Field(description="SHA-256 of the bytes: the proof of which file this is.")
    media_type: str = Field(description="Decided from the content, not the name.")
    uploaded_by: str
    uploaded_at: str
    note: str | None
    template: str | None = None
    template_sha256: str | None = None
    removed_at: str | None = None
    removed_by: str | None = None
    removed_reason: str | None = None


class DetachIn(BaseModel):
    reason: str = Field(description="Why the file is removed (audited).")


class DocumentIn(BaseModel):
    template: str | None = Field(None, description="mou, exchange, erasmus-ka171 or a user template; "
                                                   "default: by the agreement's type.")
    lang: str = Field("en", examples=["en+uz"])
    format: str = Field("docx", examples=["pdf"])
    attach: bool = Field(False, description="Keep it as a draft file instead of returning it.")


@api.get("/agreements/{ref}/files", response_model=list[FileOut], summary="An agreement's files")
def api_files(request: Request, ref: str, all: bool = Query(False, description="Include removed files."),
              user: User = Depends(api_user)) -> list[FileRow]:
    from documents.attachments import list_files

    return list_files(hamkor(request).uow(), ref, include_removed=all)


@api.post("/agreements/{ref}/files", response_model=FileOut, status_code=status.HTTP_201_CREATED,
          summary="Attach a file (multipart: file, kind, note); officers and above")
def api_attach(request: Request, ref: str, file: UploadFile = File(...), kind: str = Form("other"),
               note: str | None = Form(None), user: User = Depends(api_user)) -> FileRow:
    from documents.attachments import Upload, attach

    app = hamkor(request)
    if (big := _too_large(request, app)) is not None:
        raise big
    return attach(app.uow(), app.clock(), _store(app), ref, file.file,
                  Upload(name=file.filename or "file", kind=kind, note=note), by=user["email"],
                  limit_mb=app.settings.max_upload_mb)


@api.get("/agreements/{ref}/files/{file_id}", response_model=FileOut, summary="One file's record")
def api_file(request: Request, ref: str, file_id: RowId, user: User = Depends(api_user)) -> FileRow:
    from documents.attachments import get_file

    return get_file(hamkor(request).uow(), ref, file_id)


@api.get("/agreements/{ref}/files/{file_id}/content", summary="Download a file (as an attachment)",
         response_class=Response)
def api_file_content(request: Request, ref: str, file_id: RowId, user: User = Depends(api_user)) -> Response:
    from documents.attachments import get_file

    app = hamkor(request)
    return _send(app, get_file(app.uow(), ref, file_id))


@api.post("/agreements/{ref}/files/{file_id}/detach", response_model=FileOut,
          summary="Remove a file from the list (bytes and record are kept); officers and above")
def api_detach(request: Request, ref: str, file_id: RowId, body: DetachIn,
               user: User = Depends(api_user)) -> FileRow:
    from documents.attachments import detach

    app = hamkor(request)
    return detach(app.uow(), app.clock(), ref, file_id, reason=body.reason, by=user["email"])


@api.post("/agreements/{ref}/document", summary="Generate the agreement document (DOCX or PDF)",
          response_class=Response)
def api_document(request: Request, ref: str, body: DocumentIn, user: User = Depends(api_user)) -> Any:
    from documents.service import attach_document, check_may_attach, render_document

    app = hamkor(request)
    if body.attach:
        check_may_attach(app, user["email"])
    doc = render_document(app, ref, template=body.template, lang=body.lang, fmt=body.format)
    if body.attach:
        from fastapi.responses import JSONResponse

        return JSONResponse(attach_document(app, ref, doc, by=user["email"]), status_code=201)
    return _document_response(doc)
