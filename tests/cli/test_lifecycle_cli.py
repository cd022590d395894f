"""The lifecycle (README "The lifecycle") through the `hamkor agreement` commands, on SQLite and PostgreSQL.

Every refusal must print one `error:` line, exit 1 and leave every table as it was.
"""

from __future__ import annotations

import pytest

from tests.dbstate import snapshot
from tests.helpers import hamkor, ok, refused, seed_people

OFFICER, OFFICER2, APPROVER, APPROVER2, VIEWER = (
    "olga@uni.uz", "oleg@uni.uz", "anvar@uni.uz", "aziza@uni.uz", "vera@uni.uz")


def create(db: str, *extra: str, on: str = "2024-11-01") -> str:
    args = ["agreement", "create", "--title", "Academic exchange", "--partner",
            "Hiroshima University", "--type", "exchange", "--owner", OFFICER, "--by", OFFICER,
            "--on", on, *extra]
    if "--starts" not in extra:
        args += ["--starts", "2025-01-01", "--months", "36"]
    return ok(hamkor(db, *args)).out.strip()


def adv(db: str, ref: str, event: str, by: str = OFFICER, *extra: str):  # type: ignore[no-untyped-def]
    return hamkor(db, "agreement", "advance", ref, event, "--by", by, *extra)


def to_signed(db: str, ref: str, *, dates: tuple[str, ...] = (
        "2024-11-02", "2024-11-03", "2024-11-03", "2024-11-20", "2024-11-21")) -> None:
    """submit, approve, send_for_signature, and both signatures, on these dates."""
    submitted, approved, sent, partner_signs, home_signs = dates
    ok(adv(db, ref, "submit", OFFICER, "--on", submitted))
    ok(adv(db, ref, "approve", APPROVER, "--on", approved))
    ok(adv(db, ref, "send_for_signature", OFFICER, "--on", sent))
    ok(adv(db, ref, "sign", OFFICER, "--party", "Hiroshima University", "--on", partner_signs))
    ok(adv(db, ref, "sign", OFFICER, "--party", "home university", "--on", home_signs))


def state(db: str, ref: str) -> dict:  # type: ignore[type-arg]
    return ok(hamkor(db, "agreement", "show", ref, "--json")).json()


def assert_refused_unchanged(db: str, args: list[str], *needles: str) -> None:
    before = snapshot(db)
    refused(hamkor(db, *args), *needles)
    assert snapshot(db) == before


@pytest.fixture
def db(db_url: str) -> str:
    seed_people(db_url)
    return db_url


def test_create_adds_the_home_institution_and_numbers_by_creation_year(db: str) -> None:
    ref = create(db)
    a = state(db, ref)
    assert ref == "AGR-2024-0001" and a["state"] == "draft" and a["version"] == 1
    assert [p["name"] for p in a["parties"]] == ["Home University", "Hiroshima University"]
    assert a["expires_on"] == "2027-12-31"
    assert create(db, on="2025-02-01") == "AGR-2025-0001"
    assert create(db, on="2025-03-01") == "AGR-2025-0002"
    solo = ok(hamkor(db, "agreement", "create", "--title", "Two partners", "--partner",
                     "Hiroshima University", "--partner", "Politecnico di Torino", "--type", "mou",
                     "--owner", OFFICER, "--by", OFFICER, "--no-institution", "--json")).json()
    assert [p["name"] for p in solo["parties"]] == ["Hiroshima University", "Politecnico di Torino"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--type", "pact"], "type 'pact'"), (["--starts", "2025-13-01"], "--starts"),
     (["--months", "12", "--expires", "2026-01-01"], "only one of"),
     (["--auto-renew"], "--renewal-months"), (["--form", "tourism"], "form 'tourism'"),
     (["--on", "2999-01-01"], "in the future"),
     # Out of range: a clear refusal, not a traceback from the date arithmetic.
     (["--months", "999999999"], "--months must be at most 1200"),
     (["--starts", "9999-12-31"], "--starts 9999-12-31 is outside 1900-01-01..2999-12-31"),
     (["--months", "12", "--auto-renew", "--renewal-months", "12", "--notice-days",
       "99999999999"], "--notice-days must be at most 3650"),
     (["--expires", "2999-12-31", "--starts", "2999-01-01", "--months", "12"], "only one of")],
)
def test_create_refuses_bad_input_and_writes_nothing(db: str, args: list[str], needle: str) -> None:
    base = ["agreement", "create", "--title", "T", "--partner", "Hiroshima University",
            "--owner", OFFICER, "--by", OFFICER, "--starts", "2025-01-01"]
    if "--type" not in args:
        base += ["--type", "mou"]
    assert_refused_unchanged(db, base + args, needle)


def test_create_refuses_unknown_partner_owner_and_viewer(db: str) -> None:
    base = ["agreement", "create", "--title", "T", "--type", "mou", "--owner", OFFICER]
    assert_refused_unchanged(db, base + ["--partner", "Nowhere U", "--by", OFFICER], "no partner Nowhere U")
    assert_refused_unchanged(db, base + ["--partner", "Hiroshima University", "--by", VIEWER], "viewer")
    assert_refused_unchanged(db, base + ["--partner", "Hiroshima University", "--by", "x@y.uz"], "no user")
    assert_refused_unchanged(db, base + ["--partner", "Hiroshima University"], "--by")


def test_full_lifecycle_with_back_dated_events(db: str) -> None:
    ref = create(db)
    to_signed(db, ref)
    a = state(db, ref)
    assert a["state"] == "signed"
    assert [p["signed_on"] for p in a["parties"]] == ["2024-11-21", "2024-11-20"]
    ok(adv(db, ref, "activate", OFFICER, "--on", "2025-01-01"))
    history = ok(hamkor(db, "agreement", "history", ref, "--json")).json()
    assert [(h["event"], h["from_state"], h["to_state"]) for h in history] == [
        ("create", None, "draft"), ("submit", "draft", "in_review"),
        ("approve", "in_review", "approved"),
        ("send_for_signature", "approved", "awaiting_signatures"),
        ("sign", "awaiting_signatures", "awaiting_signatures"),
        ("sign", "awaiting_signatures", "signed"), ("activate", "signed", "active")]
    assert [h["occurred_on"] for h in history][-1] == "2025-01-01"
    assert history[4]["party"] == "Hiroshima University"
    assert all(h["recorded_at"] for h in history)


def test_approve_refusals_four_eyes_and_role(db: str) -> None:
    ref = create(db)
    ok(adv(db, ref, "submit", APPROVER))
    assert_refused_unchanged(db, ["agreement", "advance", ref, "approve", "--by", APPROVER], "four eyes")
    assert_refused_unchanged(db, ["agreement", "advance", ref, "approve", "--by", OFFICER2], "approver")
    ok(adv(db, ref, "approve", APPROVER2))


def test_request_changes_returns_to_draft_with_a_note(db: str) -> None:
    ref = create(db)
    ok(adv(db, ref, "submit"))
    assert_refused_unchanged(db, ["agreement", "advance", ref, "request_changes", "--by", APPROVER], "note")
    ok(adv(db, ref, "request_changes", APPROVER, "--note", "add quotas"))
    assert state(db, ref)["state"] == "draft"


def test_submit_refuses_an_incomplete_draft(db: str) -> None:
    ref = ok(hamkor(db, "agreement", "create", "--title", "No dates", "--partner",
                    "Hiroshima University", "--type", "mou", "--by", OFFICER)).out.strip()
    assert_refused_unchanged(db, ["agreement", "advance", ref, "submit", "--by", OFFICER],
                             "owner", "start date")


def test_sign_refuses_a_stranger_and_a_second_signature(db: str) -> None:
    ref = create(db)
    ok(adv(db, ref, "submit", OFFICER, "--on", "2024-11-02"))
    ok(adv(db, ref, "approve", APPROVER, "--on", "2024-11-03"))
    ok(adv(db, ref, "send_for_signature", OFFICER, "--on", "2024-11-03"))
    base = ["agreement", "advance", ref, "sign", "--by", OFFICER]
    assert_refused_unchanged(db, base, "--party is required")
    assert_refused_unchanged(db, base + ["--party", "Politecnico di Torino"], "not a party")
    ok(adv(db, ref, "sign", OFFICER, "--party", "Hiroshima University"))
    assert_refused_unchanged(db, base + ["--party", "Hiroshima University"], "already signed")
    assert state(db, ref)["state"] == "awaiting_signatures"


def test_activate_refuses_before_the_start_date(db: str) -> None:
    ref = create(db, "--starts", "2099-01-01", "--months", "12")
    to_signed(db, ref)
    assert_refused_unchanged(db, ["agreement", "advance", ref, "activate", "--by", OFFICER],
                             "starts on 2099-01-01")


def test_back_dating_bounds(db: str) -> None:
    ref = create(db)
    assert_refused_unchanged(db, ["agreement", "advance", ref, "submit", "--by", OFFICER, "--on",
                                  "2024-10-01"], "before the previous event")
    assert_refused_unchanged(db, ["agreement", "advance", ref, "submit", "--by", OFFICER, "--on",
                                  "2999-01-01"], "in the future")
    assert_refused_unchanged(db, ["agreement", "advance", ref, "submit", "--by", OFFICER, "--on",
                                  "yesterday"], "not a date")


def test_unknown_ref_event_and_automatic_event(db: str) -> None:
    ref = create(db)
    assert_refused_unchanged(db, ["agreement", "advance", "AGR-1999-0001", "submit", "--by", OFFICER],
                             "no agreement AGR-1999-0001")
    assert_refused_unchanged(db, ["agreement", "advance", ref, "teleport", "--by", OFFICER],
                             "EVENT 'teleport' is not one of submit")
    to_signed(db, ref)
    ok(adv(db, ref, "activate", OFFICER, "--on", "2025-01-01"))
    assert_refused_unchanged(db, ["agreement", "advance", ref, "expire", "--by", OFFICER],
                             "EVENT 'expire' is not one of submit")


def test_withdraw_and_terminate_need_notes_and_close_the_agreement(db: str) -> None:
    ref = create(db)
    assert_refused_unchanged(db, ["agreement", "advance", ref, "withdraw", "--by", OFFICER], "note")
    ok(adv(db, ref, "withdraw", OFFICER, "--note", "partner lost interest"))
    assert state(db, ref)["state"] == "withdrawn"
    assert_refused_unchanged(db, ["agreement", "advance", ref, "submit", "--by", OFFICER],
                             "only possible from draft")
    other = create(db)
    to_signed(db, other)
    ok(adv(db, other, "terminate", OFFICER, "--note", "funding cut", "--on", "2024-12-01"))
    assert state(db, other)["state"] == "terminated"


def test_give_notice_stops_tacit_renewal_and_sets_the_end(db: str) -> None:
    ref = create(db, "--starts", "2025-01-01", "--months", "12", "--auto-renew",
                 "--renewal-months", "12", "--notice-days", "60")
    to_signed(db, ref)
    ok(adv(db, ref, "activate", OFFICER, "--on", "2025-01-01"))
    assert_refused_unchanged(db, ["agreement", "advance", ref, "give_notice", "--by", OFFICER], "note")
    ok(adv(db, ref, "give_notice", OFFICER, "--note", "ending cooperation", "--on", "2025-03-01"))
    a = state(db, ref)
    assert (a["state"], a["notice_given_on"], a["ends_on"]) == ("active", "2025-03-01", "2025-12-31")
    assert_refused_unchanged(db, ["agreement", "advance", ref, "give_notice", "--by", OFFICER,
                                  "--note", "again"], "already given")


def test_renew_creates_a_linked_successor_and_activation_supersedes(db: str) -> None:
    ref = create(db, "--starts", "2022-01-01", "--months", "36", on="2021-11-01")
    to_signed(db, ref, dates=("2021-11-02", "2021-11-03", "2021-11-03", "2021-11-05", "2021-11-06"))
    ok(adv(db, ref, "activate", OFFICER, "--on", "2022-01-01"))
    succ = ok(hamkor(db, "agreement", "renew", ref, "--by", OFFICER, "--starts", "2024-12-31",
                     "--on", "2024-10-01")).out.strip()
    s = state(db, succ)
    assert (s["renews"], s["state"], s["starts_on"], s["expires_on"]) == (ref, "draft", "2024-12-31", "2027-12-30")
    assert_refused_unchanged(db, ["agreement", "renew", ref, "--by", OFFICER], "already has a successor")
    to_signed(db, succ, dates=("2024-10-15",) * 5)
    ok(adv(db, succ, "activate", OFFICER, "--on", "2024-12-31"))
    assert state(db, ref)["state"] == "superseded"
    pred_history = ok(hamkor(db, "agreement", "history", ref, "--json")).json()
    assert pred_history[-1]["event"] == "supersede" and pred_history[-1]["occurred_on"] == "2024-12-31"
    assert pred_history[-1]["actor"] == "system"


def test_a_successor_activating_after_the_lapse_records_a_coverage_gap(db: str) -> None:
    ref = create(db, "--starts", "2021-01-01", "--months", "12", on="2020-11-01")
    to_signed(db, ref, dates=("2020-11-02", "2020-11-03", "2020-11-03", "2020-11-05", "2020-11-06"))
    ok(adv(db, ref, "activate", OFFICER, "--on", "2021-01-01"))
    succ = ok(hamkor(db, "agreement", "renew", ref, "--by", OFFICER, "--starts", "2022-03-01",
                     "--months", "12", "--on", "2021-12-01")).out.strip()
    to_signed(db, succ, dates=("2021-12-02",) * 5)
    ok(adv(db, succ, "activate", OFFICER, "--on", "2022-03-01"))
    pred = ok(hamkor(db, "agreement", "history", ref, "--json")).json()
    assert (pred[-1]["event"], pred[-1]["to_state"], pred[-1]["occurred_on"]) == ("expire", "expired", "2022-01-01")
    gap = [e for e in ok(hamkor(db, "agreement", "history", succ, "--json")).json()
           if e["event"] == "coverage_gap"]
    assert len(gap) == 1 and "2022-01-01 to 2022-02-28 (59 days)" in gap[0]["note"]


def test_list_filters_by_state_partner_and_expiry(db: str) -> None:
    a = create(db, "--starts", "2024-01-01", "--months", "12")
    b = create(db)
    c = ok(hamkor(db, "agreement", "create", "--title", "Polito", "--partner", "Politecnico di Torino",
                  "--type", "mou", "--owner", OFFICER, "--by", OFFICER, "--on", "2024-11-05")).out.strip()
    to_signed(db, a)
    ok(adv(db, a, "activate", OFFICER, "--on", "2024-11-21"))
    refs = lambda *args: [x["ref"] for x in ok(hamkor(db, "agreement", "list", "--json", *args)).json()]  # noqa: E731
    assert refs("--state", "draft") == [b, c]
    assert refs("--partner", "Hiroshima University") == [a, b]
    assert refs("--expiring-within", "3650") == [a]
    assert len(refs()) == 3
    refused(hamkor(db, "agreement", "list", "--state", "dormant"), "state 'dormant'")


def test_show_lists_next_events_for_the_actor(db: str) -> None:
    ref = create(db)
    ok(adv(db, ref, "submit"))
    officer_view = ok(hamkor(db, "agreement", "show", ref, "--by", OFFICER, "--json")).json()
    events = {e["event"]: e for e in officer_view["next_events"]}
    assert events["approve"]["allowed"] is False and "approver" in events["approve"]["reason"]
    assert events["withdraw"]["allowed"] is True and events["withdraw"]["needs"] == ["--note"]
    approver_view = ok(hamkor(db, "agreement", "show", ref, "--by", APPROVER2)).out
    assert "approve              ok" in approver_view and "aziza@uni.uz (approver)" in approver_view


def test_renew_with_the_defaults_starts_the_day_after_the_predecessor_ends(db: str) -> None:
    """Never two agreements in force on one day: the successor's default start is the day
    after the predecessor's last day, for a term of the same length."""
    ref = create(db, "--starts", "2022-01-01", "--months", "36", on="2021-11-01")
    to_signed(db, ref, dates=("2021-11-02", "2021-11-03", "2021-11-03", "2021-11-05", "2021-11-06"))
    ok(adv(db, ref, "activate", OFFICER, "--on", "2022-01-01"))
    succ = ok(hamkor(db, "agreement", "renew", ref, "--by", OFFICER, "--on", "2024-10-01")).out.strip()
    s = state(db, succ)
    assert (s["starts_on"], s["expires_on"]) == ("2025-01-01", "2027-12-31")
    assert state(db, ref)["expires_on"] == "2024-12-31"


def test_renew_is_listed_as_not_possible_once_a_successor_exists(db: str) -> None:
    ref = create(db, "--starts", "2022-01-01", "--months", "36", on="2021-11-01")
    to_signed(db, ref, dates=("2021-11-02", "2021-11-03", "2021-11-03", "2021-11-05", "2021-11-06"))
    ok(adv(db, ref, "activate", OFFICER, "--on", "2022-01-01"))
    before = {e["event"]: e for e in state(db, ref)["next_events"]}
    assert before["renew"]["allowed"] is True
    succ = ok(hamkor(db, "agreement", "renew", ref, "--by", OFFICER, "--on", "2024-10-01")).out.strip()
    after = {e["event"]: e for e in state(db, ref)["next_events"]}
    assert after["renew"]["allowed"] is False
    assert after["renew"]["reason"] == f"it already has a successor {succ}"


def test_a_signature_may_be_dated_back_to_the_approval_but_not_before_or_ahead(db: str) -> None:
    """The office records "sent for signature" after the partner has already signed: a
    signature may carry any date from the approval on, never a day before it or in the future."""
    ref = create(db, on="2024-11-01")
    ok(adv(db, ref, "submit", OFFICER, "--on", "2024-11-02"))
    ok(adv(db, ref, "approve", APPROVER, "--on", "2024-11-05"))
    ok(adv(db, ref, "send_for_signature", OFFICER, "--on", "2024-11-20"))
    assert_refused_unchanged(db, ["agreement", "advance", ref, "sign", "--by", OFFICER, "--party",
                                  "Hiroshima University", "--on", "2024-11-04"], "before the approval")
    assert_refused_unchanged(db, ["agreement", "advance", ref, "sign", "--by", OFFICER, "--party",
                                  "Hiroshima University", "--on", "2999-01-01"], "in the future")
    ok(adv(db, ref, "sign", OFFICER, "--party", "Hiroshima University", "--on", "2024-11-05"))
    ok(adv(db, ref, "sign", OFFICER, "--party", "home university", "--on", "2024-11-12"))
    a = state(db, ref)
    assert a["state"] == "signed"
    assert sorted(p["signed_on"] for p in a["parties"]) == ["2024-11-05", "2024-11-12"]
    # The next event is still never dated before the latest business date (the sending).
    assert_refused_unchanged(db, ["agreement", "advance", ref, "terminate", "--by", OFFICER,
                                  "--note", "x", "--on", "2024-11-15"], "before the previous event")
