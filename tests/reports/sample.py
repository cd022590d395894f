"""Report data without a database: facts written by hand, classified by `reports.data.build`.

Year 2025, seen on 31 December 2025. Home University (id 1) is a party of every
agreement and must never count as a partner.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from reports.data import AgreementFacts, Facts, OrgFacts, build, report_period

D = date
HOME = "Home University"

ORGS = {
    1: OrgFacts(1, HOME, "home university", "UZ", "university"),
    2: OrgFacts(2, "Hiroshima University", "hiroshima university", "JP", "university", "Hiroshima"),
    3: OrgFacts(3, "Politecnico di Torino", "politecnico di torino", "IT", "university", "Turin"),
    4: OrgFacts(4, "ООО «Ромашка» & <Co>", "ооо «ромашка» & <co>", "RU", "company"),
    5: OrgFacts(5, "Oʻzbekiston Milliy Universiteti", "oʻzbekiston milliy universiteti", "UZ",
                "university"),
    6: OrgFacts(6, "Nowhere | Institute", "nowhere | institute", None, "ngo"),
    7: OrgFacts(7, "Kyoto University", "kyoto university", "JP", "university"),
}
USERS = {1: ("olga@uni.uz", "Olga Petrova"), 2: ("anvar@uni.uz", "Anvar Karimov")}


def facts() -> Facts:
    a = [
        # In force all year, Hiroshima + Kyoto (two partners, one country).
        AgreementFacts(1, "AGR-2021-0001", "Japan <exchange> & friends", "exchange", "active",
                       D(2021, 4, 1), "activate", 2021, 1, "Computer Engineering", 1,
                       D(2021, 4, 1), D(2026, 3, 31), forms=["student exchange", "staff exchange"],
                       state_start="active", signed_event_on=D(2021, 3, 20),
                       activated_on=D(2021, 4, 1)),
        # Tacit renewal on 2025-01-01 and again on 2026-01-01 (after the year).
        AgreementFacts(2, "AGR-2022-0001", "Romashka internships", "internship", "active",
                       D(2025, 1, 1), "auto_renew", 2022, 1, None, 2, D(2023, 1, 1),
                       D(2026, 12, 31), auto_renew=True, forms=["internship"],
                       state_start="renewal_due", signed_event_on=D(2022, 12, 5),
                       activated_on=D(2023, 1, 1)),
        # Expired on its own in 2025; its successor (4) is only signed: an open gap.
        AgreementFacts(3, "AGR-2020-0001", "Torino partnership", "cooperation", "expired",
                       D(2025, 6, 1), "expire", 2020, 1, "Mechanical Engineering", 1,
                       D(2020, 6, 1), D(2025, 5, 31), forms=["joint research"],
                       state_start="renewal_due", signed_event_on=D(2020, 5, 1),
                       activated_on=D(2020, 6, 1), expired_on=D(2025, 6, 1)),
        AgreementFacts(4, "AGR-2025-0001", "Torino partnership", "cooperation", "signed",
                       D(2025, 11, 20), "sign", 2025, 1, "Mechanical Engineering", 1,
                       D(2026, 2, 1), D(2031, 1, 31), forms=["joint research"], renews_id=3,
                       renews_ref="AGR-2020-0001", signed_event_on=D(2025, 11, 20)),
        # New partner (first signature in 2025), terminated in the same year.
        AgreementFacts(5, "AGR-2025-0002", "NUUz | joint lab", "research", "terminated",
                       D(2025, 10, 1), "terminate", 2025, 2, "Physics", 2, D(2025, 3, 1),
                       D(2027, 2, 28), forms=["lab"], signed_event_on=D(2025, 2, 10),
                       activated_on=D(2025, 3, 1), terminated_on=D(2025, 10, 1)),
        # Imported draft: no dates, no owner, a partner without country.
        AgreementFacts(6, "AGR-2024-0001", "Nowhere cooperation", "other", "draft",
                       D(2024, 6, 1), "import", 2024, 1, None, None),
        # Closed long before 2025: not part of it.
        AgreementFacts(7, "AGR-2015-0001", "Old MoU", "mou", "expired", D(2019, 1, 1), "expire",
                       2015, 1, None, 1, D(2015, 1, 1), D(2018, 12, 31),
                       signed_event_on=D(2014, 12, 1), activated_on=D(2015, 1, 1),
                       expired_on=D(2019, 1, 1)),
    ]
    parties = {
        1: [(1, D(2021, 3, 19)), (2, D(2021, 3, 20)), (7, D(2021, 3, 18))],
        2: [(1, D(2022, 12, 5)), (4, D(2022, 12, 1))],
        3: [(1, D(2020, 5, 1)), (3, D(2020, 4, 20))],
        4: [(1, D(2025, 11, 20)), (3, D(2025, 11, 15))],
        5: [(1, D(2025, 2, 10)), (5, D(2025, 2, 8))],
        6: [(1, None), (6, None)],
        7: [(1, D(2014, 12, 1)), (2, D(2014, 11, 30))],
    }
    first = {1: D(2014, 12, 1), 2: D(2014, 11, 30), 3: D(2020, 4, 20), 4: D(2022, 12, 1),
             5: D(2025, 2, 8), 7: D(2021, 3, 18)}
    return Facts(a, parties, dict(ORGS), dict(USERS),
                 auto_renewals={2: [D(2024, 1, 1), D(2025, 1, 1), D(2026, 1, 1)]},
                 termination_notes={5: "the lab closed"}, first_signatures=first)


def sample_data(**kwargs: Any) -> dict[str, Any]:
    """The 2025 report of the facts above."""
    return build(report_period(2025, D(2026, 2, 1)), facts(), institution=HOME, **kwargs)
