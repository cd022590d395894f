"""Build `reports/templates/annual.docx`, the Word template of the annual report.

    python -m reports.make_docx_template [OUT]

Run once; the .docx is committed and staff may edit it in Word from then on
(change styles, add a logo, move sections). It is a docxtpl template: Jinja
tags sit each in a single run; `{%tr for %}` rows repeat table rows, `{%p if %}`
paragraphs show or hide a paragraph; labels are `{{ _("...") }}` so one
template serves every language. Needs python-docx (a test dependency).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "templates" / "annual.docx"
BLUE = "1F4E79"


def _t(msg: str) -> str:
    return '{{ _("' + msg + '") }}'


def build(out: Path = OUT) -> Path:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(1.8)
    section.top_margin, section.bottom_margin = Cm(1.8), Cm(2.0)

    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10)
    for name, size in (("Heading 1", 14), ("Heading 2", 11)):
        st = doc.styles[name]
        st.font.size = Pt(size)
        st.font.color.rgb = RGBColor.from_string(BLUE)

    def para(text: str = "", *, style: str | None = None, bold: bool = False,
             size: float | None = None, center: bool = False, color: str | None = None,
             italic: bool = False) -> Any:
        p = doc.add_paragraph(style=style)
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text)  # one run: docxtpl needs each tag inside a run
        run.bold = bold or None
        run.italic = italic or None
        if size:
            run.font.size = Pt(size)
        if color:
            run.font.color.rgb = RGBColor.from_string(color)
        return p

    def shade(cell: Any, fill: str) -> None:
        props = cell._tc.get_or_add_tcPr()
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), fill)
        props.append(shd)

    def repeat_header(row: Any) -> None:
        props = row._tr.get_or_add_trPr()
        flag = OxmlElement("w:tblHeader")
        flag.set(qn("w:val"), "true")
        props.append(flag)

    def write(cell: Any, text: str, *, bold: bool = False, white: bool = False,
              size: float = 8.5, right: bool = False) -> None:
        p = cell.paragraphs[0]
        if right:
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = p.add_run(text)
        run.bold = bold or None
        run.font.size = Pt(size)
        if white:
            run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)

    def table(headers: list[str], loop: str, cells: list[str], *,
              numeric: tuple[int, ...] = ()) -> None:
        t = doc.add_table(rows=4, cols=len(headers))
        t.style = doc.styles["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        head = t.rows[0]
        repeat_header(head)
        for i, h in enumerate(headers):
            shade(head.cells[i], BLUE)
            write(head.cells[i], _t(h), bold=True, white=True, right=i in numeric)
        write(t.rows[1].cells[0], "{%tr for " + loop + " %}")
        for i, c in enumerate(cells):
            write(t.rows[2].cells[i], c, right=i in numeric)
        write(t.rows[3].cells[0], "{%tr endfor %}")

    def none_if_empty(name: str) -> None:
        para("{%p if not " + name + " %}")
        para(_t("None."), italic=True, color="777777")
        para("{%p endif %}")

    # -- masthead --
    para("{{ institution or _(\"Home institution\") }}", bold=True, size=13, center=True,
         color=BLUE)
    para(_t("International relations office"), center=True, color="555555")
    para(_t("Annual report on international cooperation"), style="Title", center=True)
    para("{{ year }}", bold=True, size=28, center=True, color=BLUE)
    para('{{ _("Situation on %(date)s", date=period.end|longdate) }}'
         '{% if period.partial %} · {{ _("the year is not over yet") }}{% endif %}', center=True)
    para("{%p if department %}")
    para('{{ _("Department") }}: {{ department }}', bold=True, center=True)
    para("{%p endif %}")

    # -- 1. key figures --
    para("1. " + _t("Key figures"), style="Heading 1")
    figures = [
        ("Agreements in force", "summary.active"),
        ("In force at the start of the year", "summary.active_at_start"),
        ("Signed", "summary.signed"),
        ("Renewed", "summary.renewed"),
        ("New agreement", "summary.renewed_by_successor"),
        ("Tacit renewal", "summary.renewed_tacitly"),
        ("Expired", "summary.expired"),
        ("Terminated", "summary.terminated"),
        ("New partners", "summary.new_partners"),
        ("Partners", "summary.partners"),
        ("Countries", "summary.countries"),
        ("Expiring", "summary.expiring"),
        ("Coverage gaps", "summary.coverage_gaps"),
        ("Data quality", "summary.data_quality"),
        ("Students out", "summary.students_out"),
        ("Students in", "summary.students_in"),
        ("Staff out", "summary.staff_out"),
        ("Staff in", "summary.staff_in"),
    ]
    t = doc.add_table(rows=len(figures) + 1, cols=2)
    t.style = doc.styles["Table Grid"]
    for i, h in enumerate(("Indicator", "Value")):
        shade(t.rows[0].cells[i], BLUE)
        write(t.rows[0].cells[i], _t(h), bold=True, white=True, right=i == 1)
    for row, (label, expr) in zip(t.rows[1:], figures, strict=True):
        write(row.cells[0], _t(label), size=9.5)
        write(row.cells[1], "{{ " + expr + "|number }}", bold=True, size=9.5, right=True)

    # -- 2. countries --
    para("2. " + _t("Agreements in force by country"), style="Heading 1")
    table(["Country", "Agreements", "Partners"], "c in by_country",
          ["{{ c.country|country }}", "{{ c.agreements|number }}", "{{ c.partners|number }}"],
          numeric=(1, 2))
    none_if_empty("by_country")

    # -- 3. breakdowns --
    para("3. " + _t("Agreements in force by kind of partner, type, form and department"),
         style="Heading 1")
    for heading, rows, expr in (
        ("Kind of partner", "by_kind", '{{ c.kind|label("kind") }}'),
        ("Type of agreement", "by_type", '{{ c.type|label("type") }}'),
        ("Form of cooperation", "by_form", '{{ c.form|label("form") }}'),
        ("Department", "by_department", '{{ c.department or _("No department") }}'),
    ):
        para(_t(heading), style="Heading 2")
        table([heading, "Agreements"], "c in " + rows, [expr, "{{ c.agreements|number }}"],
              numeric=(1,))

    # -- 4. signed --
    para('4. {{ _("Agreements signed in %(year)s", year=year) }}', style="Heading 1")
    table(["Ref.", "Title", "Partners", "Type", "Signed on", "From", "Until"], "r in signed",
          ["{{ r.ref }}", "{{ r.title }}", "{{ r.partners|names }}", '{{ r.type|label("type") }}',
           "{{ r.signed_on|date }}", "{{ r.starts_on|date }}",
           '{% if r.expires_on %}{{ r.expires_on|date }}{% elif r.indefinite %}'
           '{{ _("indefinite") }}{% endif %}'])
    none_if_empty("signed")

    # -- 5. renewals --
    para('5. {{ _("Renewals in %(year)s", year=year) }}', style="Heading 1")
    table(["Ref.", "Title", "Partners", "How", "Date", "Successor", "Now in force until"],
          "r in renewed",
          ["{{ r.ref }}", "{{ r.title }}", "{{ r.partners|names }}", '{{ r.how|label("renewal") }}',
           "{{ r.on|date }}", '{{ r.successor or "—" }}', "{{ r.expires_on|date }}"])
    none_if_empty("renewed")

    # -- 6. ended --
    para('6. {{ _("Agreements that ended in %(year)s", year=year) }}', style="Heading 1")
    para(_t("Expired"), style="Heading 2")
    table(["Ref.", "Title", "Partners", "Last day in force", "Successor"], "r in expired",
          ["{{ r.ref }}", "{{ r.title }}", "{{ r.partners|names }}", "{{ r.last_day|date }}",
           '{{ r.successor or "—" }}'])
    none_if_empty("expired")
    para(_t("Terminated"), style="Heading 2")
    table(["Ref.", "Title", "Partners", "Last day in force", "Reason"], "r in terminated",
          ["{{ r.ref }}", "{{ r.title }}", "{{ r.partners|names }}", "{{ r.last_day|date }}",
           '{{ r.termination_note or "—" }}'])
    none_if_empty("terminated")

    # -- 7. new partners --
    para("7. " + _t("New partners"), style="Heading 1")
    table(["Partner", "Country", "Kind of partner", "First signature", "Agreement"],
          "p in new_partners",
          ["{{ p.name }}", "{{ p.country|country }}", '{{ p.kind|label("kind") }}',
           "{{ p.since|date }}", '{{ p.ref or "—" }}'])
    none_if_empty("new_partners")

    # -- 8. expiring --
    para('8. {{ _("Agreements expiring by %(date)s", date=period.expiring_until|longdate) }}',
         style="Heading 1")
    table(["Ref.", "Title", "Partners", "Ends on", "Renewal", "Owner"], "r in expiring",
          ["{{ r.ref }}", "{{ r.title }}", "{{ r.partners|names }}",
           "{{ (r.ends_on or r.expires_on)|date }}",
           '{% if r.successor %}{{ _("successor %(ref)s", ref=r.successor) }}'
           '{% elif r.renews_automatically %}{{ _("renews tacitly") }}'
           '{% elif r.ends_on %}{{ _("notice given") }}{% else %}{{ _("to be decided") }}{% endif %}',
           '{% if r.owner %}{{ r.owner_name or r.owner }} <{{ r.owner }}>'
           '{% else %}{{ _("No owner") }}{% endif %}'])
    none_if_empty("expiring")

    # -- 9. gaps --
    para("9. " + _t("Coverage gaps"), style="Heading 1")
    para(_t("Periods in which a partnership had no agreement in force because the predecessor "
            "expired before its successor came into force."), italic=True, color="555555")
    table(["Predecessor", "Successor", "Partners", "From", "To", "Days"], "g in gaps",
          ["{{ g.predecessor }}", "{{ g.successor }}", "{{ g.partners|names }}",
           "{{ g.from|date }}",
           '{% if g.open %}{{ _("still open") }}{% else %}{{ g.to|date }}{% endif %}',
           "{{ g.days|number }}"], numeric=(5,))
    none_if_empty("gaps")

    # -- 10. data quality --
    para("10. " + _t("Data quality"), style="Heading 1")
    para(_t("Agreements whose record is incomplete; please complete them before the next report."),
         italic=True, color="555555")
    table(["Ref.", "Title", "State", "Problems", "Owner"], "r in quality",
          ["{{ r.ref }}", "{{ r.title }}", '{{ r.state|label("state") }}',
           '{% for p in r.problems %}{{ p.code|label("problem") }}{% if p.detail %} '
           '({{ p.detail }}){% endif %}{% if not loop.last %}; {% endif %}{% endfor %}',
           '{{ r.owner or _("No owner") }}'])
    none_if_empty("quality")

    # -- 11. Erasmus+ mobility places (no table at all when there are none) --
    para('11. {{ _("Erasmus+ mobility places, academic year %(year)s", year=academic_year) }}',
         style="Heading 1")
    para("{%p if mobility_places %}")
    para(_t("Places per year agreed in the cooperation conditions of the agreements in force, "
            "per partner and direction (outgoing: from us to the partner; incoming: from the "
            "partner to us)."), italic=True, color="555555")
    table(["Partner", "Country", "Direction", "Students: studies", "Students: traineeships",
           "Staff: teaching", "Staff: training", "Total", "Agreements"], "m in mobility_places",
          ['{{ m.partner }}{% if m.hei_id %} ({{ m.hei_id }}){% endif %}',
           "{{ m.country|country }}", '{{ m.direction|label("direction") }}',
           "{{ m.student_studies|number }}", "{{ m.student_traineeship|number }}",
           "{{ m.staff_teacher|number }}", "{{ m.staff_training|number }}",
           "{{ m.total|number }}", '{{ m.agreements|join(", ") }}'],
          numeric=(3, 4, 5, 6, 7))
    para("{%p else %}")
    para(_t("No mobility places recorded."), italic=True, color="777777")
    para("{%p endif %}")

    # -- 12.-18. cooperation activity (academic year starting in the report year) --
    para('12. {{ _("Mobility, academic year %(year)s", year=academic_year) }}', style="Heading 1")
    para(_t("People who went out to partners (outgoing) and came to us (incoming), as recorded; "
            "for Erasmus+ agreements also the person-months of students and person-days of "
            "staff."), italic=True, color="555555")
    numbers = ["{{ m.people|number }}", "{{ m.erasmus_people|number }}", "{{ m.months|number }}",
               "{{ m.days|number }}"]
    heads = ["People", "Erasmus+ people", "Erasmus+ student months", "Erasmus+ staff days"]
    for heading, key, cell in (
            ("By category", "category", '{{ m.category|label("category") }}'),
            ("By country", "country", "{{ m.country|country }}"),
            ("By partner", "partner", '{{ m.partner or _("Consortium") }}')):
        para(_t(heading), style="Heading 2")
        table(["Direction", heading.removeprefix("By ").capitalize(), *heads],
              f"m in mobility_by_{key}" + ("[:list_limit]" if key == "partner" else ""),
              ['{{ m.direction|label("direction") }}', cell, *numbers], numeric=(2, 3, 4, 5))
    none_if_empty("mobility_by_category")

    para("13. " + _t("Visits and delegations"), style="Heading 1")
    table(["Date", "Direction", "Partner", "People", "Purpose", "Agreement"],
          "v in visits[:list_limit]",
          ["{{ v.date|date }}", '{{ v.direction|label("direction") }}', '{{ v.partner or "—" }}',
           "{{ v.people|number }}", '{{ v.purpose or "" }}', '{{ v.agreement or "—" }}'],
          numeric=(3,))
    none_if_empty("visits")

    para("14. " + _t("Events"), style="Heading 1")
    table(["Date", "Title", "Place", "Participants", "Partner", "Agreement"],
          "v in events[:list_limit]",
          ["{{ v.date|date }}", "{{ v.title }}", '{{ v.place or "" }}', "{{ v.people|number }}",
           '{{ v.partner or "—" }}', '{{ v.agreement or "—" }}'], numeric=(3,))
    none_if_empty("events")

    para("15. " + _t("Joint projects and grants"), style="Heading 1")
    table(["Currency", "Funding", "Projects"], "f in funding",
          ["{{ f.currency }}", "{{ f.amount|number }}", "{{ f.projects|number }}"], numeric=(1, 2))
    table(["Title", "Funder", "Funding", "Our role", "From", "Until", "Partner", "Agreement"],
          "p in projects[:list_limit]",
          ["{{ p.title }}", '{{ p.funder or "" }}',
           "{% if p.amount %}{{ p.amount|number }} {{ p.currency }}{% endif %}",
           '{% if p.role %}{{ p.role|label("role") }}{% endif %}', "{{ p.starts_on|date }}",
           "{{ p.ends_on|date }}", '{{ p.partner or "—" }}', '{{ p.agreement or "—" }}'],
          numeric=(2,))
    none_if_empty("projects")

    para("16. " + _t("Joint publications"), style="Heading 1")
    table(["Title", "Year", "DOI", "Partner", "Agreement"], "p in publications[:list_limit]",
          ["{{ p.title }}", "{{ p.year }}", '{{ p.doi or "" }}', '{{ p.partner or "—" }}',
           '{{ p.agreement or "—" }}'])
    none_if_empty("publications")

    para('17. {{ _("Erasmus+ quota utilisation, academic year %(year)s", year=academic_year) }}',
         style="Heading 1")
    table(["Agreement", "Direction", "Category", "Agreed", "Used", "Gap"], "q in quota_utilisation",
          ["{{ q.agreement }}", '{{ q.direction|label("direction") }}',
           '{{ q.kind|label("category") }}', "{{ q.agreed|number }}", "{{ q.used|number }}",
           "{{ q.gap|number }}{% if q.under_used %} ⚠{% endif %}"], numeric=(3, 4, 5))
    none_if_empty("quota_utilisation")

    para("18. " + _t("Activity by department"), style="Heading 1")
    table(["Department", "Mobility out", "Mobility in", "Visits", "Events", "Projects",
           "Publications"], "d in activity_by_department",
          ['{{ d.department or _("No department") }}', "{{ d.mobility_out|number }}",
           "{{ d.mobility_in|number }}", "{{ d.visits|number }}", "{{ d.events|number }}",
           "{{ d.projects|number }}", "{{ d.publications|number }}"], numeric=(1, 2, 3, 4, 5, 6))
    none_if_empty("activity_by_department")

    # -- annex --
    doc.add_page_break()  # type: ignore[no-untyped-call]
    para('{{ _("Annex. Register of agreements in force on %(date)s", date=period.end|longdate) }}',
         style="Heading 1")
    para("{%p if active|length > annex_limit %}")
    para('{{ _("The register of the %(n)s agreements in force is in the xlsx and csv versions '
         'of this report.", n=active|length|number) }}')
    para("{%p endif %}")
    table(["Ref.", "Title", "Partners", "Countries", "Type", "Department", "From", "Until"],
          "r in (active if active|length <= annex_limit else [])",
          ["{{ r.ref }}", "{{ r.title }}", "{{ r.partners|names }}", "{{ r.partners|countries }}",
           '{{ r.type|label("type") }}', '{{ r.department or "—" }}', "{{ r.starts_on|date }}",
           '{% if r.expires_on %}{{ r.expires_on|date }}{% elif r.indefinite %}'
           '{{ _("indefinite") }}{% endif %}'])
    none_if_empty("active")

    # -- provenance, in the page footer --
    footer = section.footer.paragraphs[0]
    run = footer.add_run(
        '{{ _("Year") }} {{ year }} · {{ _("Format") }} {{ report.format }} · '
        '{{ _("Language") }} {{ report.lang }} · {{ _("Template") }} {{ report.template }} '
        '(sha256 {{ report.template_sha256 }}) · {{ _("Data hash") }} sha256 '
        '{{ report.data_hash }} · {{ _("Generated") }} {{ report.generated_at|datetime }}')
    run.font.size = Pt(6.5)
    run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)

    props = doc.core_properties
    props.title = '{{ _("Annual report on international cooperation") }} {{ year }}'
    props.author = "Hamkor"
    props.last_modified_by = "Hamkor"
    props.comments = "Template of the Hamkor annual report (docxtpl)."
    props.created = props.modified = datetime(2026, 1, 1)
    props.revision = 1
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
