"""A crafted history for the annual report, entered through the real CLI.

Every event is back-dated with `--on` (entered today, dated 2019-2025), the
automatic ones come from `hamkor tick --now` replaying the days, and a partner
table is imported: the 2024 report must count each event in the year it
happened. The expected 2024 figures are worked out by hand in EXPECTED_2024.

    AGR-2019-0001  I  Shandong MoU             2019-06-01 .. 2023-05-31, expired 2023
    AGR-2022-0001  A  Hiroshima exchange       2022-04-01 .. 2024-03-31, renewed late by B
    AGR-2022-0002  E  Siemens internships      tacit renewal 2024-01-01 and 2025-01-01
    AGR-2023-0001  D  Seoul Tech research      terminated on 2024-09-30
    AGR-2023-0002  C  Torino partnership       Torino signs 2023-12-20, home 2024-01-15
    AGR-2023-0003  W  withdrawn draft          withdrawn 2023-03-01
    AGR-2023-0004  F  imported draft           no dates, no owner, partner without country
    AGR-2024-0001  B  Hiroshima exchange (2)   active 2024-06-01: coverage gap of 61 days
    AGR-2024-0002  J  Shandong MoU, updated    signed 2024-03-10 (Shandong is no new partner)
    AGR-2024-0003  K  Kazakh ministry grant    new partner; expires 2025-07-31
    AGR-2024-0004  G  Tashkent Lab             new partner without a country
    AGR-2024-0005  X  draft without dates
    AGR-2025-0001  L  created in 2025          not in the 2024 report
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import hamkor, ok, seed_people

OFFICER, OTHER, APPROVER = "olga@uni.uz", "oleg@uni.uz", "anvar@uni.uz"
HOME = "Home University"

REFS = {
    "I": "AGR-2019-0001", "A": "AGR-2022-0001", "E": "AGR-2022-0002", "D": "AGR-2023-0001",
    "C": "AGR-2023-0002", "W": "AGR-2023-0003", "F": "AGR-2023-0004", "B": "AGR-2024-0001",
    "J": "AGR-2024-0002", "K": "AGR-2024-0003", "G": "AGR-2024-0004", "X": "AGR-2024-0005",
    "L": "AGR-2025-0001",
}


def _create(db: str, title: str, partner: str, type_: str, on: str, *extra: str,
            owner: str = OFFICER) -> str:
    return ok(hamkor(db, "agreement", "create", "--title", title, "--partner", partner,
                     "--type", type_, "--owner", owner, "--by", OFFICER, "--on", on,
                     *extra)).out.strip()


def _walk(db: str, ref: str, partner: str, *, submit: str, approve: str, partner_signs: str,
          home_signs: str, activate: str | None) -> None:
    steps: list[tuple[str, str, list[str]]] = [
        ("submit", OFFICER, ["--on", submit]),
        ("approve", APPROVER, ["--on", approve]),
        ("send_for_signature", OFFICER, ["--on", approve]),
        ("sign", OFFICER, ["--party", partner, "--on", partner_signs]),
        ("sign", OFFICER, ["--party", HOME, "--on", home_signs]),
    ]
    if activate:
        steps.append(("activate", OFFICER, ["--on", activate]))
    for event, by, args in steps:
        ok(hamkor(db, "agreement", "advance", ref, event, "--by", by, *args))


def build(db: str, tmp: Path) -> dict[str, str]:
    """Enter the whole history; returns the refs by letter (they are also in REFS)."""
    seed_people(db)  # Hiroshima University (JP), Politecnico di Torino (IT)
    for name, country, kind in (("Shandong Jianzhu University", "CN", "university"),
                                ("Siemens AG", "DE", "company"),
                                ("Seoul National University of Science and Technology", "KR",
                                 "university"),
                                ("Ministry of Higher Education of Kazakhstan", "KZ", "government"),
                                ("Tashkent Lab", "", "university")):
        ok(hamkor(db, "partner", "add", name, "--country", country, "--kind", kind))

    refs: dict[str, str] = {}
    refs["I"] = _create(db, "Shandong MoU", "Shandong Jianzhu University", "mou", "2019-05-01",
                        "--starts", "2019-06-01", "--months", "48", "--department", "Architecture")
    _walk(db, refs["I"], "Shandong Jianzhu University", submit="2019-05-02", approve="2019-05-03",
          partner_signs="2019-05-20", home_signs="2019-05-25", activate="2019-06-01")

    refs["A"] = _create(db, "Hiroshima exchange", "Hiroshima University", "exchange", "2022-03-01",
                        "--starts", "2022-04-01", "--months", "24",
                        "--department", "Computer Engineering", "--form", "student exchange")
    _walk(db, refs["A"], "Hiroshima University", submit="2022-03-02", approve="2022-03-04",
          partner_signs="2022-03-20", home_signs="2022-03-25", activate="2022-04-01")

    refs["E"] = _create(db, "Siemens internships", "Siemens AG", "internship", "2022-11-01",
                        "--starts", "2023-01-01", "--months", "12", "--auto-renew",
                        "--renewal-months", "12", "--notice-days", "30",
                        "--department", "Computer Engineering", "--form", "internship")
    _walk(db, refs["E"], "Siemens AG", submit="2022-11-02", approve="2022-11-05",
          partner_signs="2022-12-01", home_signs="2022-12-05", activate="2023-01-01")

    seoul = "Seoul National University of Science and Technology"
    refs["D"] = _create(db, "Seoul Tech joint research", seoul, "research", "2023-01-10",
                        "--starts", "2023-03-01", "--months", "36", "--department", "Energy",
                        "--form", "joint research")
    _walk(db, refs["D"], seoul, submit="2023-01-11", approve="2023-01-12",
          partner_signs="2023-02-01", home_signs="2023-02-03", activate="2023-03-01")
    ok(hamkor(db, "agreement", "advance", refs["D"], "terminate", "--by", OFFICER,
              "--on", "2024-09-30", "--note", "funding ended"))

    refs["C"] = _create(db, "Torino strategic partnership", "Politecnico di Torino",
                        "cooperation", "2023-11-20", "--starts", "2024-02-01", "--months", "60",
                        "--department", "Mechanical Engineering", "--form", "student exchange",
                        "--form", "joint research")
    _walk(db, refs["C"], "Politecnico di Torino", submit="2023-11-22", approve="2023-11-25",
          partner_signs="2023-12-20", home_signs="2024-01-15", activate="2024-02-01")

    refs["W"] = _create(db, "Abandoned idea", "Hiroshima University", "mou", "2023-02-01")
    ok(hamkor(db, "agreement", "advance", refs["W"], "withdraw", "--by", OFFICER,
              "--on", "2023-03-01", "--note", "no partner interest"))

    # The department's table whose "when, for how long" column is empty.
    sheet = tmp / "department-partners.csv"
    sheet.write_text("title,type,state,partners,countries,created_on\n"
                     f"Nowhere Institute cooperation,cooperation,draft,{HOME};Nowhere Institute,"
                     "UZ;,2023-06-01\n", encoding="utf-8")
    ok(hamkor(db, "import", str(sheet), "--by", OFFICER))
    refs["F"] = next(a["ref"] for a in ok(hamkor(db, "agreement", "list", "--json")).json()
                     if a["title"] == "Nowhere Institute cooperation")

    refs["B"] = ok(hamkor(db, "agreement", "renew", refs["A"], "--starts", "2024-06-01",
                          "--months", "36", "--on", "2024-01-10", "--by", OFFICER)).out.strip()
    _walk(db, refs["B"], "Hiroshima University", submit="2024-01-12", approve="2024-01-15",
          partner_signs="2024-05-20", home_signs="2024-05-25", activate="2024-06-01")

    refs["J"] = _create(db, "Shandong MoU (updated form)", "Shandong Jianzhu University", "mou",
                        "2024-02-20", "--starts", "2024-04-01", "--months", "24",
                        "--department", "Architecture")
    _walk(db, refs["J"], "Shandong Jianzhu University", submit="2024-02-21", approve="2024-02-22",
          partner_signs="2024-03-05", home_signs="2024-03-10", activate="2024-04-01")

    kz = "Ministry of Higher Education of Kazakhstan"
    refs["K"] = _create(db, "Kazakh ministry grant", kz, "grant", "2024-06-01",
                        "--starts", "2024-08-01", "--months", "12", "--form", "training",
                        owner=OTHER)
    _walk(db, refs["K"], kz, submit="2024-06-03", approve="2024-06-05",
          partner_signs="2024-07-01", home_signs="2024-07-02", activate="2024-08-01")

    refs["G"] = _create(db, "Tashkent Lab cooperation", "Tashkent Lab", "research", "2024-09-01",
                        "--starts", "2024-10-01", "--months", "24", "--department", "Energy",
                        "--form", "lab", owner=OTHER)
    _walk(db, refs["G"], "Tashkent Lab", submit="2024-09-02", approve="2024-09-03",
          partner_signs="2024-09-10", home_signs="2024-09-12", activate="2024-10-01")

    refs["X"] = _create(db, "Hiroshima summer school", "Hiroshima University", "other",
                        "2024-11-01")
    refs["L"] = _create(db, "Next year's idea", "Politecnico di Torino", "mou", "2025-02-01")

    # The daily tick, replayed: expiries, renewal windows and tacit renewals, dated when due.
    env = {"HAMKOR_MAIL_BACKEND": "file", "HAMKOR_MAIL_DIR": str(tmp / "mail")}
    for now in ("2023-06-02T08:00", "2024-01-02T08:00", "2025-01-02T08:00", "2025-08-02T08:00"):
        ok(hamkor(db, "tick", "--now", now, "--allow-future", env=env))
    assert refs == REFS, refs
    return refs


#: The 2024 report, worked out by hand from the history above.
EXPECTED_2024: dict[str, Any] = {
    "register": ["A", "B", "C", "D", "E", "F", "G", "J", "K", "X"],
    "active": ["B", "C", "E", "G", "J", "K"],
    "active_at_start": ["A", "D", "E"],
    "signed": [("C", "2024-01-15"), ("J", "2024-03-10"), ("B", "2024-05-25"),
               ("K", "2024-07-02"), ("G", "2024-09-12")],
    "renewed": [("E", "tacit", "2024-01-01", None, "2024-12-31"),
                ("A", "successor", "2024-06-01", "B", "2027-05-31")],
    "expired": [("A", "2024-03-31")],
    "terminated": [("D", "2024-09-29", "funding ended")],
    "new_partners": [("Ministry of Higher Education of Kazakhstan", "KZ", "2024-07-01", "K"),
                     ("Tashkent Lab", None, "2024-09-10", "G")],
    "expiring": [("E", "2024-12-31", True), ("K", "2025-07-31", False)],
    "gaps": [("A", "B", "2024-04-01", "2024-05-31", 61)],
    "quality": {"F": ["no_start_date", "no_expiry_date", "no_owner", "partner_without_country"],
                "G": ["partner_without_country"],
                "X": ["no_start_date", "no_expiry_date"]},
    "by_country": [("CN", 1), ("DE", 1), ("IT", 1), ("JP", 1), ("KZ", 1), (None, 1)],
    "by_kind": [("university", 4), ("company", 1), ("government", 1)],
    "by_type": [("cooperation", 1), ("exchange", 1), ("grant", 1), ("internship", 1), ("mou", 1),
                ("research", 1)],
    "by_form": [("student exchange", 2), ("internship", 1), ("joint research", 1), ("lab", 1),
                ("training", 1), (None, 1)],
    "by_department": [("Computer Engineering", 2), ("Architecture", 1), ("Energy", 1),
                      ("Mechanical Engineering", 1), (None, 1)],
    "summary": {"agreements": 10, "active_at_start": 3, "active": 6, "signed": 5, "renewed": 2,
                "renewed_by_successor": 1, "renewed_tacitly": 1, "expired": 1, "terminated": 1,
                "new_partners": 2, "partners": 6, "countries": 5, "expiring": 2,
                "coverage_gaps": 1, "data_quality": 3,
                "students_out": 0, "students_in": 0, "staff_out": 0, "staff_in": 0,
                "without_signed_copy": 6},
}
