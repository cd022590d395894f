"""Import agreements from the web (`/import`) and the JSON API (`/api/import`).

The same service as `hamkor import`: every row or none, officers and above. The page
first shows a dry run row by row (each row's action, or each row's errors), keeping
the uploaded file on the server under a random token (web/staging.py); confirming
imports those very bytes, and only if they would still do what the preview showed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import FormData
from typing_extensions import TypedDict

from web import staging
from web.errors import humanize, row_message, status_for
from web.render import redirect, render, translator
from web.security import api_user, checked_form, page_user
from web.state import hamkor
from workflow.errors import HamkorError, Invalid
from workflow.transfer.apply import ImportReport, ImportSummary
from workflow.transfer.limits import MAX_FILE_BYTES

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])
User = dict[str, Any]


class RowErrorOut(TypedDict):
    row: int
    column: str
    message: str
    code: str  # the rule's code (workflow/rules.py)


class ImportOutcome(ImportSummary):
    """An import (or its dry run): the import's report, and `digest` (what the
    dry run would do: pass it back as `expect` to import only that)."""

    digest: str


def _outcome(report: ImportReport) -> ImportOutcome:
    return {**report.as_dict(), "digest": report.digest()}


def _run(request: Request, user: User, path: Any, *, dry_run: bool, expect: str | None = None) -> Any:
    from workflow.transfer import import_sheet, read_file

    app = hamkor(request)
    sheet = read_file(path)
    return import_sheet(app.uow(immediate=True), app.clock(), app.office(), sheet,
                        source=path.name, by=user["email"], dry_run=dry_run, expect=expect)


# --- pages ------------------------------------------------------------------------------------


def _page(request: Request, *, error: str | None = None, status: int = 200,
          report: Any = None, row_errors: list[Any] | None = None, token: str | None = None,
          source: str | None = None) -> Response:
    t = translator(request)

    def worded(e: Any) -> dict[str, Any]:
        """A row's problem in the reader's language when the rule book's sentence is known."""
        return {"row": e.row, "column": e.column, "message": row_message(e, t)}

    return render(request, "import.html", {
        "error": error, "report": report, "row_errors": [worded(e) for e in row_errors or []],
        "token": token,
        "source": source, "max_mb": MAX_FILE_BYTES // (1024 * 1024), "nav": "import",
    }, status=status)


@pages.get("/import", response_class=HTMLResponse)
def import_page(request: Request, user: User = Depends(page_user)) -> Response:
    return _page(request)


def _refusal(request: Request, exc: HamkorError) -> str:
    t = translator(request)
    return f"{humanize(exc, t)}. {t('ag.nothing_changed')}"


def _refused(request: Request, exc: HamkorError, source: str) -> Response:
    """The import page with why the file was refused: each bad row, or the one reason."""
    from workflow.transfer import ImportRejected

    if isinstance(exc, ImportRejected):
        t = translator(request)
        return _page(request, error=t("imp.rejected", n=len(exc.errors),
                                      rows=len({e.row for e in exc.errors})),
                     status=422, row_errors=exc.errors, source=source)
    return _page(request, error=_refusal(request, exc), status=status_for(exc))


@pages.post("/import/preview")
def import_preview(request: Request, user: User = Depends(page_user),
                   form: FormData = Depends(checked_form)) -> Response:
    """Check the file and show what it would do, row by row; nothing is written."""
    t = translator(request)
    try:
        name, data = staging.take_upload(form, "import")
    except staging.TooLarge:
        return _page(request, error=t("imp.too_large", mb=MAX_FILE_BYTES // (1024 * 1024)), status=413)
    except staging.WrongType:
        return _page(request, error=t("imp.bad_type"), status=422)
    except staging.NoFile:
        return _page(request, error=t("imp.choose"), status=422)
    try:
        kept, report = staging.preview(request, "import", name, data,
                                       lambda kept: _run(request, user, kept.path, dry_run=True))
    except HamkorError as exc:  # ImportRejected among them
        return _refused(request, exc, staging.staged_name(name))
    return _page(request, report=report, token=kept.token, source=kept.name)


@pages.post("/import/confirm")
def import_confirm(request: Request, user: User = Depends(page_user),
                   form: FormData = Depends(checked_form)) -> Response:
    """Import the previewed file: all its rows, or nothing."""
    t = translator(request)
    return staging.confirm(
        request, "import", form, "/import",
        lambda kept: _run(request, user, kept.path, dry_run=False, expect=kept.expect),
        page=lambda error, status: _page(request, error=error, status=status),
        refused=lambda kept, exc: _refused(request, exc, kept.name),  # ImportRejected too
        done=lambda kept, report: t("imp.done", source=kept.name, created=len(report.created),
                                    updated=len(report.updated), skipped=len(report.skipped)))


@pages.post("/import/cancel")
def import_cancel(request: Request, user: User = Depends(page_user),
                  form: FormData = Depends(checked_form)) -> Response:
    staging.discard(request, "import")
    return redirect("/import")


# --- JSON API ---------------------------------------------------------------------------------


class ImportIn(BaseModel):
    """Rows as the export writes them to JSON (one object per agreement)."""

    rows: list[dict[str, Any]] = Field(examples=[[{
        "title": "Student exchange", "type": "exchange", "state": "draft",
        "partners": "Politecnico di Torino", "owner": "olga@uni.uz", "starts_on": "2025-09-01",
        "months": 60}]])
    source: str = Field("api", max_length=200, description="Named in the history's import notes")
    dry_run: bool = Field(False, description="Check and report; write nothing")
    expect: str | None = Field(None, description="The `digest` of a dry run: import only if "
                                                 "the rows would still do exactly that")


@api.post("/import", summary="Import agreements: all rows or nothing (dry run first)",
          responses={422: {"description": "Rows refused: `errors` lists row, column, message, code"}})
def api_import(request: Request, body: ImportIn, user: User = Depends(api_user)) -> ImportOutcome:
    """The import's service: a dry run reports each row's action and a `digest`;
    importing with `expect` set to it refuses (409) if the data changed since."""
    from fastapi import HTTPException

    from workflow.transfer import ImportRejected, import_sheet
    from workflow.transfer.decode import decode_objects
    from workflow.transfer.limits import check_rows

    app = hamkor(request)
    try:
        check_rows(body.source, len(body.rows))
        sheet = decode_objects(body.rows, body.source)
        report = import_sheet(app.uow(immediate=True), app.clock(), app.office(), sheet,
                              source=body.source, by=user["email"], dry_run=body.dry_run,
                              expect=body.expect)
    except ImportRejected as exc:
        errors: list[RowErrorOut] = [{"row": e.row, "column": e.column, "message": e.message,
                                      "code": e.problem.code if e.problem else "invalid"}
                                     for e in exc.errors]
        raise HTTPException(422, detail={"message": str(exc), "errors": errors}) from None
    except Invalid as exc:
        if exc.code == "import.changed":
            raise HTTPException(409, detail=str(exc)) from None
        raise
    return _outcome(report)

