"""The annual report page: generate a report (any year, format, language, department)
and download it, and the reports generated before."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.datastructures import FormData

from web import forms
from web.errors import humanize, status_for
from web.forms import RowId
from web.pages import error_page
from web.render import render, translator
from web.security import checked_form, page_user
from web.state import hamkor
from workflow import rules
from workflow.errors import HamkorError

if TYPE_CHECKING:
    from reports.service import ReportRow

log = logging.getLogger("hamkor.web")
router = APIRouter(include_in_schema=False)

User = dict[str, Any]


# --- reports --------------------------------------------------------------------------------

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8", "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def reports_dir(app: Any) -> Path:
    """Where the server writes the reports it generates (HAMKOR_REPORTS_DIR, default ./hamkor-reports)."""
    path = Path(app.settings.reports_dir).expanduser().absolute()
    path.mkdir(parents=True, exist_ok=True)
    return path


def report_output(app: Any, year: int, lang: str, fmt: str) -> Path:
    """A new file for each report generated: a recorded report's file is never overwritten."""
    stamp = app.clock().utcnow.strftime("%Y%m%dT%H%M%S%f")
    safe = "".join(c for c in f"{year}-{lang}-{stamp}.{fmt}" if c.isalnum() or c in "-.")
    return reports_dir(app) / f"annual-report-{safe}"


def _reports_page(request: Request, *, error: str | None = None, status: int = 200,
                  values: dict[str, Any] | None = None) -> Response:
    from reports import service
    from reports.i18n import LANGUAGES as REPORT_LANGS
    from reports.render import FORMATS

    app = hamkor(request)
    rows = [{**r, "available": Path(r["path"]).is_file()}
            for r in reversed(service.list_reports(app.uow()))]
    this_year = app.clock().today.year
    v = values or {"year": str(this_year - 1), "format": "html", "lang": translator(request).lang}
    from web.queries import departments

    return render(request, "reports.html", {
        "departments": departments(app.uow()),
        "reports": rows, "formats": FORMATS, "langs": REPORT_LANGS,
        "years": list(range(this_year, this_year - 15, -1)), "v": v, "error": error, "nav": "reports",
    }, status=status)


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, user: User = Depends(page_user)) -> Response:
    return _reports_page(request)


@router.post("/reports")
def generate_report(request: Request, user: User = Depends(page_user),
                    form: FormData = Depends(checked_form)) -> Response:
    from reports import service

    app = hamkor(request)
    values = {k: forms.text(form, k) or "" for k in ("year", "format", "lang", "department")}
    try:
        year = rules.year(forms.text(form, "year"), "year")
        fmt, lang = values["format"].lower(), values["lang"].lower()
        if values["department"].strip():
            from web.queries import departments, unknown_department

            suggestions = unknown_department(values["department"], departments(app.uow()))
            if suggestions is not None:
                t = translator(request)
                message = t("r.unknown_department", name=values["department"].strip())
                if suggestions:
                    message += " " + t("r.known_departments", names=", ".join(suggestions))
                return _reports_page(request, error=message, status=422, values=values)
        out = report_output(app, year, lang, fmt)
        rec = service.generate(app.uow(), app.clock(),
                               service.ReportRequest(year=year, format=fmt, lang=lang, output=out,
                                                     department=values["department"] or None),
                               institution=app.settings.institution,
                               institution_hei_id=app.settings.institution_hei_id,
                               year_start=app.office().year_start)
    except HamkorError as exc:
        return _reports_page(request, error=humanize(exc, translator(request)), status=status_for(exc), values=values)
    log.info("%s generated report %s (%s)", user["email"], rec["id"], rec["path"])
    return _download(rec)


def _download(rec: ReportRow) -> Response:
    path = Path(rec["path"])
    name = f"annual-report-{rec['year']}-{rec['lang']}.{rec['format']}"
    return FileResponse(path, media_type=MEDIA_TYPES.get(rec["format"], "application/octet-stream"),
                        filename=name, content_disposition_type="attachment")


@router.get("/reports/{report_id}/download")
def download_report(request: Request, report_id: RowId, user: User = Depends(page_user)) -> Response:
    from reports import service
    from workflow.errors import NotFound

    rec = next((r for r in service.list_reports(hamkor(request).uow()) if r["id"] == report_id),
               None)
    if rec is None or not Path(rec["path"]).is_file():
        return error_page(request, NotFound("report file", report_id))
    return _download(rec)
