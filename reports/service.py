"""Use cases: generate an annual report (data, render, write, record) and list them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typing_extensions import TypedDict  # pydantic: API responses on Python 3.11

from models import Report
from workflow import rules
from workflow.atomic import write_atomically
from workflow.clock import Clock
from workflow.errors import Invalid
from workflow.uow import UnitOfWork


@dataclass(frozen=True)
class ReportRequest:
    year: int
    format: str
    lang: str = "en"
    template: Path | None = None
    department: str | None = None
    output: Path | None = None


class ReportRow(TypedDict):
    """A generated report's record."""

    id: int
    year: int
    format: str
    lang: str
    department: str | None
    template: str
    template_sha256: str
    data_hash: str
    generated_at: str
    path: str


class GeneratedReport(ReportRow):
    """A report just generated: its record and its summary figures."""

    summary: dict[str, Any]


def report_dict(r: Report) -> ReportRow:
    return {
        "id": r.id,
        "year": r.year,
        "format": r.format,
        "lang": r.lang,
        "department": r.department,
        "template": r.template,
        "template_sha256": r.template_sha256,
        "data_hash": r.data_hash,
        "generated_at": _utc(r.generated_at).isoformat(),
        "path": r.path,
    }


def _utc(at: datetime) -> datetime:
    """SQLite hands back naive timestamps; they were written in UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def default_output(req: ReportRequest) -> Path:
    return Path(f"annual-report-{req.year}-{req.lang}.{req.format}")


def generate(uow: UnitOfWork, clock: Clock, req: ReportRequest, *,
             institution: str | None = None,
             institution_hei_id: str | None = None,
             year_start: tuple[int, int] = (9, 1)) -> GeneratedReport:
    """Compute the data, render it, write the file and record the report (one row).
    `year_start`: HAMKOR_ACADEMIC_YEAR_START (the academic year of the activities)."""
    from reports.data import annual_data, report_period
    from reports.i18n import check_language, translations
    from reports.render import check_format, render, resolve_template

    check_format(req.format)
    translations(check_language(req.lang))
    report_period(req.year, clock.today)
    resolve_template(req.format, req.template)  # fail before the work
    out = (req.output or default_output(req)).expanduser().absolute()
    if not out.parent.is_dir():
        raise Invalid(rules.problem("report.no_folder", "output", path=str(out), folder=str(out.parent)))
    department = req.department.strip() if req.department and req.department.strip() else None

    with uow:
        data = annual_data(uow.session, req.year, clock.today, department,
                           institution=institution, institution_hei_id=institution_hei_id,
                           year_start=year_start)
    generated_at = clock.utcnow.replace(microsecond=0)
    content, ref = render(req.format, data, lang=req.lang, generated_at=generated_at,
                          template=req.template)
    _write_atomically(out, content)
    try:
        with uow:
            row = Report(year=req.year, format=req.format, lang=req.lang, department=department,
                         template=ref.name, template_sha256=ref.sha256,
                         data_hash=data["data_hash"], generated_at=generated_at, path=str(out))
            uow.session.add(row)
            uow.commit()
            record = report_dict(row)
    except BaseException:
        out.unlink(missing_ok=True)  # no record, no file
        raise
    generated: GeneratedReport = {**record, "summary": data["summary"]}
    return generated


def _write_atomically(path: Path, content: bytes) -> None:
    write_atomically(path, content)


def list_reports(uow: UnitOfWork) -> list[ReportRow]:
    with uow:
        return [report_dict(r) for r in uow.session.scalars(select(Report).order_by(Report.id))]
