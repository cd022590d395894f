"""Shared by the EWP CLI tests: the office's configuration, people, agreements in a state."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.helpers import Result, hamkor, ok

HOME = "Turin Polytechnic University in Tashkent"
HOME_HEI = "ttpu.uz"
ENV = {"HAMKOR_INSTITUTION": HOME, "HAMKOR_INSTITUTION_HEI_ID": HOME_HEI}
OFFICER, APPROVER, OTHER_APPROVER, VIEWER = (
    "olga@ttpu.uz", "anvar@ttpu.uz", "aziza@ttpu.uz", "vera@ttpu.uz")
YEAR = date.today().year
#: academic years around today, so an IIA over them is in force whenever the tests run
FIRST, LAST = f"{YEAR - 1}/{YEAR}", f"{YEAR + 3}/{YEAR + 4}"
YEARS = f"{FIRST}:{LAST}"


def cli(db_url: str | None, *args: str, env: dict[str, str] | None = None) -> Result:
    """`hamkor` with the home institution configured for EWP."""
    return hamkor(db_url, *args, env={**ENV, **(env or {})})


def seed(db_url: str) -> None:
    """Users of each role and two partners, Politecnico di Torino with its hei-id."""
    for email, role in [(OFFICER, "officer"), (APPROVER, "approver"),
                        (OTHER_APPROVER, "approver"), (VIEWER, "viewer")]:
        ok(cli(db_url, "user", "add", email, "--name", email.split("@")[0], "--role", role))
    ok(cli(db_url, "partner", "add", "Politecnico di Torino", "--country", "IT",
           "--city", "Turin", "--hei-id", "polito.it"))
    ok(cli(db_url, "partner", "add", "Hiroshima University", "--country", "JP"))


def agreement(db_url: str, *partners: str, state: str = "draft") -> str:
    """A new agreement of the home institution with ``partners`` (default Politecnico
    di Torino), taken to ``state`` (see `advance_to`)."""
    partners = partners or ("Politecnico di Torino",)
    args = ["agreement", "create", "--title", "Erasmus+ exchange", "--type", "exchange",
            "--owner", OFFICER, "--starts", f"{YEAR - 1}-09-01", "--months", "60", "--by", OFFICER]
    for p in partners:
        args += ["--partner", p]
    ref: str = ok(cli(db_url, *args)).out.strip()
    advance_to(db_url, ref, state, partners)
    return ref


def advance_to(db_url: str, ref: str, state: str,
               partners: tuple[str, ...] = ("Politecnico di Torino",)) -> None:
    """Take a draft to in_review, approved, signed, active or terminated (or leave it)."""
    path = [("in_review", [["submit", "--by", OFFICER]]),
            ("approved", [["approve", "--by", APPROVER]]),
            ("signed", [["send_for_signature", "--by", OFFICER]]
             + [["sign", "--party", p, "--by", OFFICER] for p in (HOME, *partners)]),
            ("active", [["activate", "--by", OFFICER]]),
            ("terminated", [["terminate", "--note", "closed", "--by", OFFICER]])]
    if state != "draft":
        for reached, steps in path:
            for step in steps:
                ok(cli(db_url, "agreement", "advance", ref, *step))
            if reached == state:
                break
    assert ok(cli(db_url, "agreement", "show", ref, "--json")).json()["state"] == state


def add_condition(db_url: str, ref: str, *extra: str, kind: str = "student-studies",
                  sending: str = HOME_HEI, receiving: str = "polito.it") -> Any:
    args = ["agreement", "conditions", "add", ref, "--kind", kind, "--from", sending,
            "--to", receiving, "--years", YEARS, "--mobilities", "2", "--by", OFFICER, "--json"]
    if kind in ("student-studies", "staff-teacher") and "--language" not in extra:
        args += ["--language", "en:B2"]
    return ok(cli(db_url, *args, *extra)).json()


def history(db_url: str, ref: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = ok(cli(db_url, "agreement", "history", ref, "--json")).json()
    return rows
