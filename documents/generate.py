"""The agreement document from a Word template (docxtpl), as DOCX or PDF.

Templates are `NAME.LANG.docx` with LANG one of en, uz, ru (one language) or
en+uz, en+ru (side by side). A file of that name in
`HAMKOR_TEMPLATES_DIR/documents/` overrides the shipped one; either is rendered
in the report's sandbox (`reports.render.render_docx`: sandboxed Jinja, every
value XML-escaped, the same limits), from plain data only. PDF is printed by
LibreOffice in headless mode, with a private profile per run so that several
at once do not collide.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflow import rules
from workflow.errors import Invalid, Problem

if TYPE_CHECKING:
    from ewp.conditions import Condition
    from workflow.agreements import Office
    from workflow.clock import Clock
    from workflow.uow import UnitOfWork

BUILTIN_DIR = Path(__file__).parent / "templates"
LANGS = ("en", "uz", "ru", "en+uz", "en+ru")
FORMATS = ("docx", "pdf")
TEMPLATES = ("mou", "exchange", "erasmus-ka171")
#: A user template larger than this is refused before it is opened.
MAX_TEMPLATE_BYTES = 20 * 1024 * 1024
LIBREOFFICE_PACKAGE = "libreoffice-writer-nogui"
PDF_TIMEOUT_S = 180
BLANK = "______________________________"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def default_template(agreement_type: str) -> str:
    if agreement_type in ("consortium", "grant"):
        return "erasmus-ka171"
    if agreement_type in ("exchange", "double_degree", "internship"):
        return "exchange"
    return "mou"


@dataclass(frozen=True)
class Template:
    name: str  # as recorded: `builtin:mou.en+uz.docx` or the user file's path
    path: Path
    sha256: str
    user: bool


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise Invalid(Problem("choice", "document_lang", "{field} {value!r} is not one of {choices}",
                              {"value": lang, "choices": ", ".join(LANGS)}))
    return lang


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Invalid(Problem("choice", "format", "{field} {value!r} is not one of {choices}",
                              {"value": fmt, "choices": ", ".join(FORMATS)}))
    return fmt


def available(templates_dir: Path | None = None) -> dict[str, list[str]]:
    """Template name -> its language variants (user templates included)."""
    out: dict[str, set[str]] = {}
    dirs = [BUILTIN_DIR] + ([templates_dir / "documents"] if templates_dir else [])
    for d in dirs:
        for p in d.glob("*.docx") if d.is_dir() else []:
            name, _, lang = p.name.removesuffix(".docx").rpartition(".")
            if name and lang in LANGS:
                out.setdefault(name, set()).add(lang)
    return {k: sorted(v, key=LANGS.index) for k, v in sorted(out.items())}


def resolve(name: str, lang: str, templates_dir: Path | None = None) -> Template:
    """The template file for `name` in `lang`: the user's copy first, then the shipped one."""
    check_lang(lang)
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise Invalid(Problem("invalid", "template", "{field} {value!r}: give a template name such as "
                              "{choices}", {"value": name, "choices": ", ".join(TEMPLATES)}))
    file = f"{name}.{lang}.docx"
    if templates_dir is not None:
        user = templates_dir / "documents" / file
        if user.is_file():
            size = user.stat().st_size
            if size > MAX_TEMPLATE_BYTES:
                raise Invalid(rules.problem("template.too_large", "template", path=str(user),
                                            mb=MAX_TEMPLATE_BYTES // 2**20))
            return Template(str(user), user, _sha256(user), True)
    builtin = BUILTIN_DIR / file
    if builtin.is_file():
        return Template(f"builtin:{file}", builtin, _sha256(builtin), False)
    variants = available(templates_dir)
    if name in variants:
        raise Invalid(rules.problem("template.no_lang", "lang", name=name, lang=lang,
                                    langs=", ".join(variants[name])))
    raise Invalid(rules.problem("template.unknown", "template", name=name, names=", ".join(variants)))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- context ----------------------------------------------------------------------------------


def _org(o: Any, fmt: Any, signatories: Mapping[int, tuple[str, str | None]] | None = None
         ) -> dict[str, Any]:
    # The signatory: the partner's first contact person with role signatory (name and
    # position); without one, a line to fill in by hand.
    name, position = (signatories or {}).get(o.id, (BLANK, BLANK))
    return {"name": o.name, "city": o.city or "", "country": o.country or "",
            "erasmus_code": o.erasmus_code or "", "pic": o.pic or "", "website": o.website or "",
            "hei_id": o.hei_id or "", "signatory": name, "signatory_title": position or BLANK}


def signatories_of(s: Any, organization_ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """Each party's signatory (name, position) from its contact persons, where it has one."""
    from workflow.partners import contacts_of, signatory

    found = {}
    for org_id, contacts in contacts_of(s, organization_ids).items():
        c = signatory(contacts)
        if c is not None:
            found[org_id] = (c["name"], c["position"])
    return found


def _address(o: Any, fmt: Any) -> str:
    parts = [o.city or "", fmt.country(o.country) if o.country else ""]
    return ", ".join(p for p in parts if p)


def _conditions(rows: list[Condition], fmt: Any) -> list[dict[str, Any]]:
    kinds = {"student-studies": "Student mobility for studies",
             "student-traineeship": "Student mobility for traineeships",
             "staff-teacher": "Staff mobility for teaching",
             "staff-training": "Staff mobility for training"}
    out = []
    for c in rows:
        years = c["first_year"] if c["first_year"] == c["last_year"] else \
            f"{c['first_year']} – {c['last_year']}"
        if c.get("total_months"):
            duration = f"{c['total_months']} months"
        elif c.get("total_days"):
            duration = f"{c['total_days']} days"
        else:
            duration = "—"
        out.append({
            "from": c["from"], "to": c["to"], "type": kinds.get(c["kind"], c["kind"]),
            "years": years, "mobilities_per_year": c["mobilities_per_year"], "duration": duration,
            "subjects": "; ".join(sa["code"] + (f" {sa['clarification']}" if sa.get("clarification")
                                                 else "") for sa in c.get("subject_areas") or [])
                        or "—",
            "eqf": ", ".join(str(x) for x in c.get("eqf_levels") or []) or "—",
            "languages": ", ".join(f"{x['language']}" + (f" {x['level']}" if x.get("level") else "")
                                   for x in c.get("languages") or []) or "—",
        })
    return out


def build_context(a: Any, office: Office, lang: str, today: date, *, noun: str,
                  conditions: list[Condition],
                  signatories: Mapping[int, tuple[str, str | None]] | None = None) -> dict[str, Any]:
    """Plain data for the template (no ORM object reaches the sandbox)."""
    from documents.wording import clauses, places
    from models import normalize_name
    from reports.i18n import Formatter

    orgs = [p.organization for p in a.parties]
    home_key = normalize_name(office.institution)
    home = next((o for o in orgs if o.name_key == home_key), orgs[0] if orgs else None)
    others = [o for o in orgs if o is not home]
    partner = others[0] if others else home
    languages = tuple(lang.split("+"))
    ctx: dict[str, Any] = {
        "agreement": {"ref": a.ref, "title": a.title, "type": a.type, "term": a.term,
                      "iia_id": a.iia_id or "", "auto_renew": a.auto_renew,
                      "renewal_months": a.renewal_months, "notice_days": a.notice_days,
                      "indefinite": a.indefinite,
                      "starts_on": a.starts_on.isoformat() if a.starts_on else "",
                      "expires_on": a.expires_on.isoformat() if a.expires_on else ""},
        "lang": lang,
        "conditions": _conditions(conditions, Formatter("en")),
    }
    en_fmt = Formatter("en")
    ctx["home"] = _org(home, en_fmt, signatories) if home is not None else {}
    ctx["partner"] = _org(partner, en_fmt, signatories) if partner is not None else {}
    ctx["parties"] = [_org(o, en_fmt, signatories) for o in orgs]
    for code in ("en", "uz", "ru"):
        fmt = Formatter(code)
        words = clauses(code, a, fmt, languages if code in languages else (code,), noun)
        forms = [fmt.label("form", f) for f in a.forms or []]
        ctx[code] = {
            **words,
            "starts_on": fmt.long_date(a.starts_on), "expires_on": fmt.long_date(a.expires_on),
            "generated_on": fmt.long_date(today), "type": fmt.label("type", a.type),
            "forms": ", ".join(f[:1].lower() + f[1:] for f in forms) or words["no_forms"],
            "places": places(code, a.quotas),
            "home_address": _address(home, fmt) if home is not None else "",
            "partner_address": _address(partner, fmt) if partner is not None else "",
            "home_country": fmt.country(home.country) if home is not None and home.country else "",
            "partner_country": fmt.country(partner.country) if partner is not None and partner.country else "",
        }
        del ctx[code]["no_forms"]
    return ctx


# --- rendering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    data: bytes
    filename: str
    media_type: str
    template: Template
    lang: str
    format: str


def generate(uow: UnitOfWork, clock: Clock, office: Office, ref: str, *, template: str | None,
             lang: str, fmt: str, templates_dir: Path | None,
             conditions: list[Condition] | None = None) -> Document:
    """Render agreement `ref` with `template` (default: by its type) in `lang` and `fmt`."""
    from reports.i18n import Formatter
    from reports.render import TemplateRef, render_docx
    from workflow.agreements import get_agreement

    check_lang(lang)
    check_format(fmt)
    with uow:
        a = get_agreement(uow.session, ref)
        name = template or default_template(a.type)
        tpl = resolve(name, lang, templates_dir)
        noun = "mou" if name.startswith("mou") else "agreement"
        ctx = build_context(a, office, lang, clock.today, noun=noun, conditions=conditions or [],
                            signatories=signatories_of(uow.session, [p.organization_id for p in a.parties]))
        ref_ = a.ref
    data = reproducible(render_docx(TemplateRef(tpl.name, tpl.path, tpl.sha256, tpl.user), ctx,
                                    Formatter(lang.split("+")[-1])))
    filename = f"{ref_}-{name}-{lang}.{fmt}"
    if fmt == "pdf":
        return Document(docx_to_pdf(data), filename, "application/pdf", tpl, lang, fmt)
    return Document(data, filename, DOCX_TYPE, tpl, lang, fmt)


def reproducible(docx: bytes) -> bytes:
    """The same document from the same data and template has the same bytes (and hash):
    the ZIP entries' timestamps, which record when it was written, are fixed."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(data: bytes) -> bytes:
    """Print a DOCX with LibreOffice (headless, a private profile, a time limit)."""
    exe = soffice()
    if exe is None:
        raise Invalid(rules.problem("pdf.no_libreoffice", "format", package=LIBREOFFICE_PACKAGE))
    with tempfile.TemporaryDirectory(prefix="hamkor-pdf-") as tmp:
        work = Path(tmp)
        src = work / "document.docx"
        src.write_bytes(data)
        cmd = [exe, "--headless", "--norestore", "--nolockcheck",
               f"-env:UserInstallation={(work / 'profile').as_uri()}",
               "--convert-to", "pdf", "--outdir", str(work), str(src)]
        try:
            run = subprocess.run(cmd, capture_output=True, timeout=PDF_TIMEOUT_S, check=False,
                                 stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise Invalid(rules.problem("pdf.timeout", "format", seconds=PDF_TIMEOUT_S)) from None
        out = work / "document.pdf"
        if run.returncode != 0 or not out.is_file():
            why = (run.stderr or run.stdout).decode("utf-8", "replace").strip().splitlines()
            raise Invalid(rules.problem("pdf.failed_why", "format", detail=why[-1]) if why
                          else rules.problem("pdf.failed", "format"))
        return out.read_bytes()
