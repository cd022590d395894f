"""Write the shipped agreement templates (`documents/templates/*.docx`).

`python -m documents.make_templates` rebuilds them from the texts below. Staff
edit the resulting Word files (or copies in HAMKOR_TEMPLATES_DIR/documents/);
each Jinja tag sits in one run, as docxtpl needs. `L` in a text below stands for
the column's language: it becomes `en`, `uz` or `ru` in the file, and the
renderer gives each language its own values (`{{ uz.starts_on }}`,
`{{ ru.term_clause }}`, ...).

Layouts: a single-language document (`NAME.en.docx`, `.uz`, `.ru`), and the
bilingual side-by-side text Uzbek universities sign (`NAME.en+uz.docx`,
`NAME.en+ru.docx`): a two-column table, English on the left.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "templates"
FONT = "Times New Roman"  # LibreOffice uses the metric-compatible Liberation Serif

T = dict[str, str]


def _t(en: str, uz: str, ru: str) -> T:
    return {"en": en, "uz": uz, "ru": ru}


COLUMN = _t("English", "Oʻzbekcha", "Русский")
REF = _t("Reference: {{ agreement.ref }}", "Raqami: {{ agreement.ref }}", "Номер: {{ agreement.ref }}")
PREAMBLE = _t(
    "{{ home.name }} ({{ L.home_address }}) and {{ partner.name }} ({{ L.partner_address }}), "
    "hereinafter the “Parties”, wishing to develop friendly relations and academic cooperation, "
    "have agreed as follows.",
    "{{ home.name }} ({{ L.home_address }}) va {{ partner.name }} ({{ L.partner_address }}), "
    "keyingi oʻrinlarda “Tomonlar”, doʻstona munosabatlar va akademik hamkorlikni rivojlantirish "
    "maqsadida quyidagilar haqida kelishib oldilar.",
    "{{ home.name }} ({{ L.home_address }}) и {{ partner.name }} ({{ L.partner_address }}), "
    "далее «Стороны», желая развивать дружественные отношения и академическое сотрудничество, "
    "договорились о нижеследующем.",
)
TERM = (_t("Term and renewal", "Amal qilish muddati va uzaytirish", "Срок действия и продление"),
        _t("{{ L.term_clause }} {{ L.renewal_clause }}", "{{ L.term_clause }} {{ L.renewal_clause }}",
           "{{ L.term_clause }} {{ L.renewal_clause }}"))
NOTICE = (_t("Termination", "Bekor qilish", "Расторжение"),
          _t("{{ L.notice_clause }}", "{{ L.notice_clause }}", "{{ L.notice_clause }}"))
FINAL = (_t("Final provisions", "Yakuniy qoidalar", "Заключительные положения"),
         _t("Amendments are made in writing and signed by both Parties. {{ L.copies_clause }}",
            "Oʻzgartirishlar yozma ravishda kiritiladi va Tomonlar tomonidan imzolanadi. "
            "{{ L.copies_clause }}",
            "Изменения вносятся в письменной форме и подписываются Сторонами. {{ L.copies_clause }}"))

DOCUMENTS: dict[str, dict[str, Any]] = {
    "mou": {
        "title": _t("MEMORANDUM OF UNDERSTANDING", "OʻZARO ANGLASHUV MEMORANDUMI",
                    "МЕМОРАНДУМ О ВЗАИМОПОНИМАНИИ"),
        "articles": [
            (_t("Purpose", "Maqsad", "Цель"),
             _t("The Parties will promote cooperation in education, research and culture on the "
                "basis of equality and mutual benefit.",
                "Tomonlar tenglik va oʻzaro manfaatdorlik asosida taʼlim, ilm-fan va madaniyat "
                "sohalarida hamkorlikni rivojlantiradilar.",
                "Стороны развивают сотрудничество в области образования, науки и культуры на "
                "основе равенства и взаимной выгоды.")),
            (_t("Forms of cooperation", "Hamkorlik shakllari", "Формы сотрудничества"),
             _t("Cooperation may include: {{ L.forms }}.",
                "Hamkorlik quyidagilarni oʻz ichiga olishi mumkin: {{ L.forms }}.",
                "Сотрудничество может включать: {{ L.forms }}.")),
            (_t("Implementation", "Amalga oshirish", "Реализация"),
             _t("Specific activities, their financing and the number of participants are agreed "
                "by the Parties in separate agreements or annexes. This Memorandum creates no "
                "financial obligation for either Party.",
                "Aniq tadbirlar, ularni moliyalashtirish va ishtirokchilar soni Tomonlar "
                "tomonidan alohida bitimlar yoki ilovalarda kelishiladi. Ushbu Memorandum "
                "Tomonlar uchun moliyaviy majburiyat yuzaga keltirmaydi.",
                "Конкретные мероприятия, их финансирование и число участников согласуются "
                "Сторонами в отдельных соглашениях или приложениях. Настоящий Меморандум не "
                "создаёт финансовых обязательств для Сторон.")),
            TERM, NOTICE, FINAL,
        ],
    },
    "exchange": {
        "title": _t("STUDENT AND STAFF EXCHANGE AGREEMENT",
                    "TALABALAR VA XODIMLAR ALMASHINUVI TOʻGʻRISIDA BITIM",
                    "СОГЛАШЕНИЕ ОБ ОБМЕНЕ СТУДЕНТАМИ И СОТРУДНИКАМИ"),
        "articles": [
            (_t("Purpose", "Maqsad", "Цель"),
             _t("The Parties exchange students and academic and administrative staff to "
                "strengthen their cooperation in education and research.",
                "Tomonlar taʼlim va ilmiy tadqiqotlar sohasidagi hamkorlikni mustahkamlash "
                "maqsadida talabalar hamda akademik va maʼmuriy xodimlar bilan almashadilar.",
                "Стороны осуществляют обмен студентами, академическими и административными "
                "сотрудниками в целях укрепления сотрудничества в области образования и науки.")),
            (_t("Student exchange", "Talabalar almashinuvi", "Обмен студентами"),
             _t("Each Party may nominate {{ L.places }}. Exchange students remain enrolled at "
                "their home institution, pay no tuition fees to the host institution, and the "
                "credits they earn are recognised by their home institution.",
                "Har bir Tomon {{ L.places }}ni yuborishi mumkin. Almashinuv talabalari oʻz "
                "oliy taʼlim muassasasida taʼlim olishda davom etadilar, qabul qiluvchi "
                "muassasaga kontrakt toʻlovini toʻlamaydilar va ular olgan kreditlar oʻz "
                "muassasasi tomonidan tan olinadi.",
                "Каждая Сторона может направлять {{ L.places }}. Студенты по обмену остаются "
                "зачисленными в своём вузе, не вносят плату за обучение принимающему вузу, а "
                "полученные ими кредиты признаются направляющим вузом.")),
            (_t("Staff exchange", "Xodimlar almashinuvi", "Обмен сотрудниками"),
             _t("The Parties exchange academic and administrative staff for teaching, research "
                "and training visits agreed in advance in writing.",
                "Tomonlar oldindan yozma ravishda kelishilgan oʻqitish, ilmiy tadqiqot va "
                "malaka oshirish tashriflari uchun akademik va maʼmuriy xodimlar bilan "
                "almashadilar.",
                "Стороны осуществляют обмен академическими и административными сотрудниками "
                "для преподавания, исследований и стажировок, заранее согласованных в "
                "письменной форме.")),
            (_t("Responsibilities", "Majburiyatlar", "Обязательства"),
             _t("The host institution helps participants with accommodation, visas and "
                "orientation. Participants bear their travel, living and insurance costs unless "
                "the Parties agree otherwise. Forms of cooperation: {{ L.forms }}.",
                "Qabul qiluvchi muassasa ishtirokchilarga turar joy, viza va moslashuvda "
                "yordam beradi. Agar Tomonlar boshqacha kelishmagan boʻlsa, yoʻl, yashash va "
                "sugʻurta xarajatlarini ishtirokchilar oʻzlari qoplaydilar. Hamkorlik "
                "shakllari: {{ L.forms }}.",
                "Принимающий вуз помогает участникам с жильём, визами и адаптацией. Участники "
                "несут расходы на проезд, проживание и страхование, если Стороны не "
                "договорились об ином. Формы сотрудничества: {{ L.forms }}.")),
            TERM, NOTICE, FINAL,
        ],
    },
}
SIGN = {
    "for": _t("For {{ PARTY.name }}", "{{ PARTY.name }} nomidan", "От имени {{ PARTY.name }}"),
    "name": _t("Name: {{ PARTY.signatory }}", "F.I.Sh.: {{ PARTY.signatory }}",
               "Ф.И.О.: {{ PARTY.signatory }}"),
    "title": _t("Position: {{ PARTY.signatory_title }}", "Lavozimi: {{ PARTY.signatory_title }}",
                "Должность: {{ PARTY.signatory_title }}"),
    "sig": _t("Signature: ____________________", "Imzo: ____________________",
              "Подпись: ____________________"),
    "date": _t("Date: ____________________", "Sana: ____________________",
               "Дата: ____________________"),
}
LANGS = ("en", "uz", "ru", "en+uz", "en+ru")


def _fill(text: str, lang: str) -> str:
    return text.replace("{{ L.", "{{ " + lang + ".")


def _document() -> Any:
    import docx
    from docx.shared import Cm, Pt

    d = docx.Document()
    style = d.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rFonts")
    if fonts is not None:
        fonts.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", FONT)
    for section in d.sections:
        section.page_height, section.page_width = Cm(29.7), Cm(21.0)
        section.left_margin = section.right_margin = Cm(2.0)
        section.top_margin = section.bottom_margin = Cm(2.0)
    return d


def _para(container: Any, text: str, *, bold: bool = False, center: bool = False,
          size: float | None = None, after: float = 6, left: bool = False) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = container.add_paragraph()
    run = p.add_run(text)  # one run: docxtpl needs each tag inside one
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    p.alignment = (WD_ALIGN_PARAGRAPH.CENTER if center else
                   WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.JUSTIFY)
    p.paragraph_format.space_after = Pt(after)
    return p


def _cell(cell: Any, text: str, **kw: Any) -> None:
    first = cell.paragraphs[0]
    if not first.text:
        first._element.getparent().remove(first._element)
    _para(cell, text, **kw)


def _two_columns(d: Any, rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    from docx.shared import Cm

    table = d.add_table(rows=0, cols=2)
    table.autofit = False
    for left, right, kw in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, (left, right), strict=True):
            cell.width = Cm(8.5)
            _cell(cell, text, **kw)


def bilingual(name: str, second: str) -> Any:
    spec = DOCUMENTS[name]
    d = _document()
    rows: list[tuple[str, str, dict[str, Any]]] = [
        (COLUMN["en"], COLUMN[second], {"bold": True, "center": True, "size": 9}),
        (spec["title"]["en"], spec["title"][second], {"bold": True, "center": True, "size": 13}),
        (REF["en"], _fill(REF[second], second), {"center": True}),
        (_fill(PREAMBLE["en"], "en"), _fill(PREAMBLE[second], second), {}),
    ]
    for n, (heading, body) in enumerate(spec["articles"], start=1):
        rows.append((f"Article {n}. {heading['en']}", f"{_article(second, n)} {heading[second]}",
                     {"bold": True, "after": 2}))
        rows.append((_fill(body["en"], "en"), _fill(body[second], second), {}))
    _two_columns(d, rows)
    _para(d, "")
    _signatures(d, ("en", second))
    return d


def single(name: str, lang: str) -> Any:
    spec = DOCUMENTS[name]
    d = _document()
    _para(d, spec["title"][lang], bold=True, center=True, size=14)
    _para(d, _fill(REF[lang], lang), center=True)
    _para(d, _fill(PREAMBLE[lang], lang))
    for n, (heading, body) in enumerate(spec["articles"], start=1):
        _para(d, f"{_article(lang, n)} {heading[lang]}", bold=True, after=2)
        _para(d, _fill(body[lang], lang))
    _signatures(d, (lang,))
    return d


def _article(lang: str, n: int) -> str:
    return {"en": f"Article {n}.", "uz": f"{n}-modda.", "ru": f"Статья {n}."}[lang]


def _signatures(d: Any, langs: tuple[str, ...]) -> None:
    from docx.shared import Cm

    table = d.add_table(rows=1, cols=2)
    table.autofit = False
    for cell, party in zip(table.rows[0].cells, ("home", "partner"), strict=True):
        cell.width = Cm(8.5)
        for key in ("for", "name", "title", "sig", "date"):
            text = "\n".join(SIGN[key][lang] for lang in langs)
            _cell(cell, text.replace("PARTY", party), bold=key == "for", after=6, left=True)


# --- Erasmus+ KA171 inter-institutional agreement ---------------------------------------------

KA171_COLUMNS = ("From", "To", "Subject area (ISCED-F)", "Mobility type", "Academic years",
                 "Mobilities per year", "Total months / days per year", "Study level (EQF)",
                 "Recommended languages")
KA171_CELLS = ("{{ c.from }}", "{{ c.to }}", "{{ c.subjects }}", "{{ c.type }}", "{{ c.years }}",
               "{{ c.mobilities_per_year }}", "{{ c.duration }}", "{{ c.eqf }}",
               "{{ c.languages }}")


def erasmus_iia() -> Any:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    d = _document()
    for section in d.sections:  # landscape: the conditions table has nine columns
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    _para(d, "ERASMUS+ INTER-INSTITUTIONAL AGREEMENT", bold=True, center=True, size=14)
    _para(d, "Mobility with partner countries (KA171) · Reference: {{ agreement.ref }}"
             "{% if agreement.iia_id %} · IIA id: {{ agreement.iia_id }}{% endif %}", center=True)
    _para(d, "The institutions named below agree to cooperate for the exchange of students and/or "
             "staff in the context of the Erasmus+ programme. They commit to respect the quality "
             "requirements of the Erasmus Charter for Higher Education in all aspects related to "
             "the organisation and management of mobility, and to agree on the conditions below.")
    _para(d, "A. Information about higher education institutions", bold=True, after=2)
    table = d.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("Full name of the institution",
                                                 "Erasmus code / PIC", "Address", "Contact"),
                          strict=True):
        _cell(cell, text, bold=True, size=9)
    for party in ("home", "partner"):
        cells = table.add_row().cells
        for cell, text in zip(cells, (
                "{{ " + party + ".name }}", "{{ " + party + ".erasmus_code or " + party + ".pic or '—' }}",
                "{{ en." + party + "_address }}", "{{ " + party + ".website or '—' }}"), strict=True):
            _cell(cell, text, size=9)
    _para(d, "")
    _para(d, "B. Mobility numbers per academic year (cooperation conditions)", bold=True, after=2)
    grid = d.add_table(rows=1, cols=len(KA171_COLUMNS))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, KA171_COLUMNS, strict=True):
        _cell(cell, text, bold=True, size=8)
    for texts in (("{%tr for c in conditions %}",), KA171_CELLS, ("{%tr endfor %}",)):
        cells = grid.add_row().cells
        for cell, text in zip(cells, texts, strict=False):
            _cell(cell, text, size=8)
    _para(d, "{% if not conditions %}No cooperation conditions are recorded yet: add them with "
             "`hamkor agreement conditions add`.{% endif %}", size=9)
    _para(d, "C. Recommended language skills", bold=True, after=2)
    _para(d, "The sending institution supports its nominated participants in reaching the "
             "language level recommended for each mobility in section B (CEFR levels).")
    _para(d, "D. Additional requirements", bold=True, after=2)
    _para(d, "The institutions provide equal access to participants with fewer opportunities "
             "and support inclusion, sustainability, digital cooperation and civic engagement.")
    _para(d, "E. Calendar and term", bold=True, after=2)
    _para(d, "Nominations reach the receiving institution by 1 May for the autumn term and by 1 "
             "November for the spring term; the receiving institution decides within five "
             "weeks. {{ en.term_clause }} {{ en.renewal_clause }} {{ en.notice_clause }}")
    _para(d, "F. Signatures of the institutions", bold=True, after=2)
    _signatures(d, ("en",))
    for p in d.paragraphs:
        for r in p.runs:
            if r.font.size is None:
                r.font.size = Pt(10)
    return d


def build(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in DOCUMENTS:
        for lang in LANGS:
            doc = bilingual(name, lang[3:]) if "+" in lang else single(name, lang)
            path = out / f"{name}.{lang}.docx"
            doc.core_properties.title = f"{name} ({lang})"
            doc.core_properties.author = "Hamkor"
            doc.save(str(path))
            written.append(path)
    path = out / "erasmus-ka171.en.docx"
    doc = erasmus_iia()
    doc.core_properties.title = "Erasmus+ KA171 inter-institutional agreement"
    doc.core_properties.author = "Hamkor"
    doc.save(str(path))
    written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    for p in build():
        print(p)
