"""The CLI walks an agreement from draft to active on both databases."""

from tests.helpers import hamkor, ok, refused, seed_people


def test_agreement_walks_from_draft_to_active(db_url: str) -> None:
    seed_people(db_url)
    ref = ok(hamkor(db_url, "agreement", "create", "--title", "Exchange", "--partner",
                    "Hiroshima University", "--type", "exchange", "--owner", "olga@uni.uz",
                    "--starts", "2025-01-01", "--months", "60", "--by", "olga@uni.uz",
                    "--on", "2024-12-01")).out.strip()
    assert ref == "AGR-2024-0001"
    steps = [("submit", "olga@uni.uz", ["--on", "2024-12-02"]),
             ("approve", "anvar@uni.uz", ["--on", "2024-12-03"]),
             ("send_for_signature", "olga@uni.uz", ["--on", "2024-12-03"]),
             ("sign", "olga@uni.uz", ["--party", "Hiroshima University", "--on", "2024-12-10"]),
             ("sign", "olga@uni.uz", ["--party", "Home University", "--on", "2024-12-11"]),
             ("activate", "olga@uni.uz", ["--on", "2025-01-01"])]
    for event, by, extra in steps:
        ok(hamkor(db_url, "agreement", "advance", ref, event, "--by", by, *extra))
    shown = ok(hamkor(db_url, "agreement", "show", ref, "--json")).json()
    assert shown["state"] == "active"
    assert shown["expires_on"] == "2029-12-31"
    history = ok(hamkor(db_url, "agreement", "history", ref, "--json")).json()
    assert [e["event"] for e in history] == ["create"] + [s[0] for s in steps]
    refused(hamkor(db_url, "agreement", "advance", ref, "approve", "--by", "anvar@uni.uz"),
            ref, "approve")
