"""EWP at scale: `ewp export` and `ewp hash` of 10,000 IIAs with 8 mobility specs each.

Both are measured end to end through the same functions the commands call
(`ewp.exchange.export_iias` on a seeded database - including assigning the
10,000 IIA ids on first export - and `ewp.iia_hash.hash_document` on the
exported response). The baseline is the floor of any implementation: SHA-256
(hashlib alone) over the same 10,000 texts-to-hash, already built. The ratio
says how many times that floor the whole job costs. Target: each under 10 s
for 10,000 IIAs (scaled down with --quick).
"""

from __future__ import annotations

import hashlib
import time
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from itertools import cycle, islice

from sqlalchemy import Engine, insert

from benchmarks.harness import Result, fresh_database
from ewp.exchange import export_iias
from ewp.identity import Home
from ewp.iia_hash import conditions_text, hash_document
from models import Agreement, AgreementParty, MobilitySpec, Organization
from models.database import session_factory
from workflow.agreements import Office
from workflow.uow import UnitOfWork

HOME_NAME, HOME_HEI = "Home University", "home.example.uz"
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
DAY = date(2025, 6, 1)
PARTNERS = 50
_KINDS = cycle((
    ("student-studies", 0), ("student-studies", 1), ("student-traineeship", 0),
    ("staff-teacher", 0), ("staff-teacher", 1), ("staff-training", 1),
    ("student-studies", 0), ("staff-training", 0),
))  # (kind, 0 = home sends / 1 = partner sends): 8 specs, both directions


def home() -> Home:
    return Home(Office(institution=HOME_NAME), HOME_HEI)


def seed_iias(engine: Engine, n: int, specs_per_iia: int = 8) -> None:
    """``n`` active bilateral agreements (home + one of 50 partners with hei-ids), each
    with ``specs_per_iia`` mobility specs, no IIA id yet. Core inserts, an empty database."""
    with engine.begin() as conn:
        conn.execute(insert(Organization), [
            {"name": name, "name_key": name.lower(), "country": cc, "kind": "university",
             "hei_id": hei, "created_on": DAY, "created_at": NOW}
            for name, cc, hei in [(HOME_NAME, "UZ", None)] + [
                (f"Universita {i}", "IT", f"uni{i}.example.it") for i in range(1, PARTNERS + 1)]])
        conn.execute(insert(Agreement), [
            {"ref": f"AGR-2025-{i:05d}", "ref_year": 2025, "ref_seq": i, "title": f"IIA {i}",
             "type": "exchange", "state": "active", "starts_on": date(2025, 9, 1),
             "expires_on": date(2030, 8, 31), "indefinite": False, "term": 1,
             "auto_renew": False, "forms": ["student exchange"], "created_on": DAY,
             "created_at": NOW, "version": 1, "state_since": date(2025, 9, 1)}
            for i in range(1, n + 1)])
        conn.execute(insert(AgreementParty), [
            {"agreement_id": i, "organization_id": org, "position": pos,
             "signed_on": date(2025, 6, 1)}
            for i in range(1, n + 1) for pos, org in enumerate((1, 2 + i % PARTNERS))])
        specs = []
        for i in range(1, n + 1):
            partner = 2 + i % PARTNERS
            for position, (kind, direction) in enumerate(islice(_KINDS, specs_per_iia), start=1):
                sending, receiving = (1, partner) if direction == 0 else (partner, 1)
                student = kind.startswith("student")
                specs.append({
                    "agreement_id": i, "position": position, "kind": kind,
                    "sending_org_id": sending, "receiving_org_id": receiving,
                    "sending_ounit_id": None, "receiving_ounit_id": None,
                    "first_year": "2025/2026", "last_year": "2029/2030",
                    "mobilities_per_year": 1 + position % 4,
                    "total_months": "5" if student else None,
                    "total_days": None if student else "7.5",
                    "subject_areas": [{"code": "0714", "clarification": f"Mechatronics & {i}"}],
                    "languages": [{"language": "en", "level": "B2"},
                                  {"language": "it", "level": None}],
                    "eqf_levels": [6, 7] if student else [],
                    "blended": False if student else None,
                    "other_info": "Fees waived <EU rules>" if position == 1 else None,
                })
        for k in range(0, len(specs), 5000):
            conn.execute(insert(MobilitySpec), specs[k:k + 5000])


def benchmark(quick: bool) -> list[Result]:
    n = 1000 if quick else 10_000
    limit = 10.0 * n / 10_000
    with fresh_database(None) as (_, engine):
        seed_iias(engine, n)
        sessions = session_factory(engine)
        t = time.perf_counter()
        exported = export_iias(UnitOfWork(sessions), home())
        export_s = time.perf_counter() - t
    assert len(exported.exported) == n, len(exported.exported)
    document = exported.xml

    t = time.perf_counter()
    results = hash_document(document)
    hash_s = time.perf_counter() - t
    assert len(results) == n and all(r.matches for r in results)

    texts = [conditions_text(iia).encode("utf-8") for iia in ET.fromstring(document)]
    t = time.perf_counter()
    for text in texts:
        hashlib.sha256(text).hexdigest()
    base_s = time.perf_counter() - t

    size = f"{n} IIAs x 8 specs ({len(document) / 1e6:.1f} MB)"
    baseline = "hashlib.sha256 alone over the same texts-to-hash"
    return [
        Result(name="ewp export", measured=f"export_iias of {size} from SQLite, IIA ids assigned",
               value=round(export_s, 3), unit="s", baseline=baseline,
               baseline_value=round(base_s, 4), ratio=round(export_s / base_s, 1),
               target=f"< {limit:g} s", ok=export_s < limit),
        Result(name="ewp hash", measured=f"hash_document over the exported response: {size}",
               value=round(hash_s, 3), unit="s", baseline=baseline,
               baseline_value=round(base_s, 4), ratio=round(hash_s / base_s, 1),
               target=f"< {limit:g} s", ok=hash_s < limit),
    ]
