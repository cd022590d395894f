"""Finding agreements: one box, tokenised, insensitive to case and accents.

Every agreement has one folded document (`models.search_index`): its reference,
title, type, department, notes, and for each partner the name, country code,
the country's name in English, Uzbek and Russian, city, Erasmus code and
hei-id, and the ISCED codes of its cooperation conditions. A query matches when
every token is found somewhere in the document (as a substring: "torin" finds
Torino). PostgreSQL answers from a pg_trgm GIN index, SQLite from an FTS5
trigram index; tokens shorter than three characters are checked by scanning.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Select, delete, func, insert, literal_column, select, text
from sqlalchemy.orm import Session

from models import Agreement, AgreementParty, MobilitySpec, Organization, User, normalize_name
from models.search_index import AgreementSearch, SearchPending
from workflow import dates, rules
from workflow.clock import Clock
from workflow.lifecycle import State
from workflow.registry import PartnerRow
from workflow.uow import UnitOfWork

#: Documents rebuilt per statement when the index catches up.
BATCH = 500
LANGS = ("en", "uz", "ru")
_APOSTROPHES = str.maketrans(dict.fromkeys("\u02bb\u02bc\u2018\u2019\u0060\u00b4\u02b9\u2032", "'"))
_EDGES = "\"'.,;:!?()[]{}«»“”„"
#: Sortable columns of the list, by the name a page or an API client uses.
SORTS = {"ref": (Agreement.ref_year, Agreement.ref_seq), "title": (Agreement.title,),
         "type": (Agreement.type,), "state": (Agreement.state,),
         "department": (Agreement.department,), "starts": (Agreement.starts_on,),
         "expires": (Agreement.expires_on,), "created": (Agreement.created_on,)}


def fold(value: str) -> str:
    """Lower case, no accents (é→e, ё→е, ş→s), one apostrophe, single spaces."""
    if value.isascii():
        return " ".join(value.translate(_APOSTROPHES).casefold().split())
    decomposed = unicodedata.normalize("NFKD", value.translate(_APOSTROPHES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def tokens(query: str | None) -> list[str]:
    """The query's words, folded, without surrounding punctuation, each once."""
    out: list[str] = []
    for word in fold(query or "").split():
        word = word.strip(_EDGES)
        if word and word not in out:
            out.append(word)
    return out


@cache
def country_names(code: str) -> tuple[str, ...]:
    """A country's names in the interface languages ("IT" → Italy, Italiya, Италия)."""
    from babel import Locale

    names = []
    for lang in LANGS:
        name = Locale.parse(lang).territories.get(code.upper())
        if name:
            names.append(name)
    return tuple(names)


def document(a: dict[str, Any], partners: Iterable[dict[str, Any]], isced: Iterable[str]) -> str:
    parts: list[str] = [fold(" ".join(x for x in (a["ref"], a["title"], a["type"].replace("_", " "),
                                                  a["department"] or "", a["notes"] or "") if x))]
    parts += [_partner_text(p["name"], p["country"], p["city"], p["erasmus_code"], p["hei_id"])
              for p in partners]
    parts += list(isced)
    return " ".join(x for x in parts if x)


@lru_cache(maxsize=65536)
def _partner_text(name: str, country: str | None, city: str | None, erasmus_code: str | None,
                  hei_id: str | None) -> str:
    """A partner's part of the document, folded once (partners recur across agreements)."""
    words = [name, country or "", *country_names(country or ""), city or "", erasmus_code or "",
             hei_id or ""]
    return fold(" ".join(w for w in words if w))


def partner_matches(p: PartnerRow, query: str | None) -> bool:
    """Whether every word of `query` is in the partner's name, country (code or name in
    any interface language), city, Erasmus code or hei-id (the Partners page's box)."""
    words = tokens(query)
    if not words:
        return True
    text = _partner_text(p["name"], p["country"], p["city"], p["erasmus_code"], p["hei_id"])
    return all(w in text for w in words)


def _isced_codes(subject_areas: Any) -> list[str]:
    codes = []
    for sa in subject_areas or []:
        code = sa.get("code") if isinstance(sa, dict) else None
        if code:
            codes.append(str(code))
    return codes


def _build(s: Session, ids: list[int], home_key: str) -> list[dict[str, Any]]:
    """Documents of these agreements, read under a share lock on PostgreSQL (a writer
    that changes one of them waits until these are stored, then deletes them)."""
    stmt = (select(Agreement.id, Agreement.version, Agreement.ref, Agreement.title, Agreement.type,
                   Agreement.department, Agreement.notes).where(Agreement.id.in_(ids)))
    if s.get_bind().dialect.name == "postgresql":
        stmt = stmt.order_by(Agreement.id).with_for_update(read=True)
    rows = s.execute(stmt).all()
    partners: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    org_stmt = (select(AgreementParty.agreement_id, Organization.name, Organization.name_key,
                       Organization.country, Organization.city, Organization.erasmus_code,
                       Organization.hei_id)
                .join(Organization, Organization.id == AgreementParty.organization_id)
                .where(AgreementParty.agreement_id.in_(ids)).order_by(AgreementParty.position))
    for aid, name, key, country, city, erasmus, hei in s.execute(org_stmt):
        if key != home_key:
            partners[aid].append({"name": name, "country": country, "city": city,
                                  "erasmus_code": erasmus, "hei_id": hei})
    isced: dict[int, list[str]] = {i: [] for i in ids}
    for aid, areas in s.execute(select(MobilitySpec.agreement_id, MobilitySpec.subject_areas)
                                .where(MobilitySpec.agreement_id.in_(ids))):
        isced[aid] += [c for c in _isced_codes(areas) if c not in isced[aid]]
    return [{"agreement_id": r.id, "version": r.version,
             "doc": document({"ref": r.ref, "title": r.title, "type": r.type,
                              "department": r.department, "notes": r.notes},
                             partners[r.id], isced[r.id])}
            for r in rows]


def refresh(uow: UnitOfWork, institution: str) -> int:
    """Build the documents that are missing (new agreements, or changed since); returns
    how many. What is missing is noted in `search_pending` by the database's triggers
    (a new agreement, a deleted document; migration 0016): when nothing is, this is one
    probe of an empty table's primary key."""
    home = normalize_name(institution)
    built = 0
    with uow:
        s = uow.session
        if s.scalar(select(SearchPending.id).limit(1)) is None:
            return 0
        done = list(s.scalars(select(SearchPending.id).order_by(SearchPending.id)))
        # Noted agreements still without a document (another search may have built some).
        missing = list(s.scalars(
            select(SearchPending.agreement_id).distinct()
            .outerjoin(AgreementSearch, AgreementSearch.agreement_id == SearchPending.agreement_id)
            .where(SearchPending.id <= done[-1], AgreementSearch.agreement_id.is_(None))
            .order_by(SearchPending.agreement_id)))
        for i in range(0, len(missing), BATCH):
            rows = _build(s, missing[i:i + BATCH], home)
            if rows:
                _insert_missing(s, rows)
                built += len(rows)
        # Only the notes read here: one a writer adds meanwhile stays for the next search.
        for i in range(0, len(done), BATCH * 10):
            s.execute(delete(SearchPending).where(SearchPending.id.in_(done[i:i + BATCH * 10])))
        uow.commit()
    return built


def _insert_missing(s: Session, rows: list[dict[str, Any]]) -> None:
    """Insert, skipping a row another search stored meanwhile."""
    dialect = s.get_bind().dialect.name
    table: Any = AgreementSearch.__table__  # Core: no ORM bulk bookkeeping per row
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        s.execute(pg_insert(table).on_conflict_do_nothing(), rows)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as lite_insert

        s.execute(lite_insert(table).on_conflict_do_nothing(), rows)
    else:  # pragma: no cover - the two supported databases are above
        s.execute(insert(table), rows)


def _like(token: str) -> str:
    return "%" + token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def matching(stmt: Select[Any], query: str | None, dialect: str) -> Select[Any]:
    """`stmt` (over agreements) narrowed to the agreements whose document has every token."""
    words = tokens(query)
    if not words:
        return stmt
    doc = AgreementSearch.doc
    stmt = stmt.join(AgreementSearch, AgreementSearch.agreement_id == Agreement.id)
    long_words = [w for w in words if len(w) >= 3]
    if dialect == "sqlite" and long_words:
        phrase = " ".join('"' + w.replace('"', '""') + '"' for w in long_words)
        stmt = stmt.where(AgreementSearch.agreement_id.in_(
            select(literal_column("rowid")).select_from(text("agreement_search_fts"))
            .where(text("agreement_search_fts MATCH :fts").bindparams(fts=phrase))))
        rest = [w for w in words if len(w) < 3]
    else:
        rest = words
    for w in rest:
        stmt = stmt.where(doc.like(_like(w), escape="\\"))
    return stmt


def filtered(s: Session, clock: Clock, *, q: str | None = None, state: str | None = None,
             partner: str | None = None, country: str | None = None,
             department: str | None = None, type: str | None = None, owner: str | None = None,
             expiring_within: int | None = None, partner_name: str | None = None) -> Select[Any]:
    """SELECT agreements.id for the filters (each optional; all must hold)."""
    from workflow.agreements import TYPES
    from workflow.registry import get_partner

    stmt: Select[Any] = select(Agreement.id)
    if state:
        if state not in {x.value for x in State}:
            rules.refuse("choice", "state", value=state, choices=", ".join(x.value for x in State))
        stmt = stmt.where(Agreement.state == state)
    if type:
        if type not in TYPES:
            rules.refuse("choice", "type", value=type, choices=", ".join(TYPES))
        stmt = stmt.where(Agreement.type == type)
    if partner:
        org = get_partner(s, partner)
        stmt = stmt.where(Agreement.id.in_(select(AgreementParty.agreement_id)
                                           .where(AgreementParty.organization_id == org.id)))
    postgresql = s.get_bind().dialect.name == "postgresql"
    if partner_name and (key := normalize_name(partner_name)):
        # Any partner whose name contains the text (the web's partner box), or its hei-id.
        like = _like(key)
        stmt = stmt.where(Agreement.id.in_(_parties_of(
            Organization.name_key.like(like, escape="\\") | (Organization.hei_id == partner_name.strip()),
            postgresql)))
    if country:
        code = country.strip().upper()
        stmt = stmt.where(Agreement.id.in_(_parties_of(Organization.country == code, postgresql)))
    if department:
        stmt = stmt.where(func.lower(Agreement.department) == department.strip().lower())
    if owner:
        stmt = stmt.where(Agreement.owner_id.in_(select(User.id).where(User.email == owner.strip().lower())))
    if expiring_within is not None:
        if expiring_within < 0:
            rules.refuse("integer.min", "expiring_within", minimum=0)
        if expiring_within > dates.MAX_WITHIN_DAYS:
            rules.refuse("integer.max", "expiring_within", maximum=dates.MAX_WITHIN_DAYS)
        stmt = stmt.where(Agreement.state.in_(("signed", "active", "renewal_due")),
                          Agreement.expires_on.is_not(None),
                          Agreement.expires_on <= clock.today + timedelta(days=expiring_within))
    return matching(stmt, q, s.get_bind().dialect.name)


def _parties_of(chosen: Any, postgresql: bool) -> Select[Any]:
    """SELECT agreement_parties.agreement_id for the partners `chosen` picks.

    On PostgreSQL the partners are looked up first, as one array (`= ANY(array)`): as a
    join, the planner read all of `agreement_parties` (236,000 rows at 100,000
    agreements, 40-90 ms) to find a country's few thousand, instead of taking them
    from `ix_agreement_parties_organization_id` (~5 ms)."""
    if postgresql:
        from sqlalchemy import Integer, any_, cast
        from sqlalchemy.dialects.postgresql import ARRAY

        ids = cast(select(func.array_agg(Organization.id)).where(chosen).scalar_subquery(), ARRAY(Integer))
        return select(AgreementParty.agreement_id).where(AgreementParty.organization_id == any_(ids))
    return (select(AgreementParty.agreement_id)
            .join(Organization, Organization.id == AgreementParty.organization_id).where(chosen))


def ordered(stmt: Select[Any], sort: str | None) -> Select[Any]:
    """Sorted by a column of `SORTS` ("-expires": descending); newest first by default."""
    key = (sort or "-ref").strip()
    descending = key.startswith("-")
    columns = SORTS.get(key.lstrip("-"))
    if columns is None:
        rules.refuse("search.sort", "sort", value=key, choices=", ".join(SORTS))
    order: list[tuple[Any, Any]] = [(c, c.desc() if descending else c.asc()) for c in columns]
    if columns[0] is not Agreement.ref_year:
        order += [(Agreement.ref_year, Agreement.ref_year.desc()), (Agreement.ref_seq, Agreement.ref_seq.desc())]
    # NULLS LAST only where a column can be null: on the reference (never null) it would
    # keep PostgreSQL from reading the newest agreements backwards along their index
    # (a search matching 80,000 agreements: 4 ms for its first page instead of 80 ms).
    return stmt.order_by(*(o.nulls_last() if c.nullable else o for c, o in order))


def search(uow: UnitOfWork, clock: Clock, institution: str, *, sort: str | None = None,
           offset: int = 0, limit: int | None = 50, count_limit: int | None = None,
           refreshed: bool = False, **filters: Any) -> tuple[int, list[int]]:
    """(how many agreements match, the ids of one page of them in order). With
    `count_limit`, counting stops there: the count is at most count_limit + 1 (a box
    holding "university" matches most of the register; counting all costs 100 ms).
    `refreshed`: the caller has just brought the index up to date (`pending`, `refresh`)."""
    if not refreshed:
        refresh(uow, institution)
    with uow:
        s = uow.session
        ids_stmt = filtered(s, clock, **filters)
        if count_limit is not None and limit is not None and not tokens(filters.get("q")):
            # One statement: the first count_limit + 1 matches (any order), counted and the
            # page of them sorted. When they are all the matches (no more than count_limit),
            # that page is the page; else the count is capped and the page is read below.
            # Not for a search box: its count stops early along the trigram index, which
            # reading the matches back by id (for the page) would undo.
            first = ids_stmt.limit(count_limit + 1).subquery()
            rows = s.execute(ordered(select(Agreement.id, func.count().over())
                                     .where(Agreement.id.in_(select(first.c.id))), sort)
                             .offset(offset).limit(limit)).all()
            if rows and rows[0][1] <= count_limit:
                return int(rows[0][1]), [r[0] for r in rows]
            if rows:
                total = int(rows[0][1])
            elif offset == 0:
                return 0, []
            else:  # past the end of the matches: count them
                total = s.scalar(select(func.count()).select_from(first)) or 0
        else:
            counted = ids_stmt if count_limit is None else ids_stmt.limit(count_limit + 1)
            total = s.scalar(select(func.count()).select_from(counted.subquery())) or 0
        page = ordered(_along_reference(s, clock, filters, sort, offset) if count_limit is not None
                       and total > count_limit else ids_stmt, sort).offset(offset)
        if limit is not None:
            page = page.limit(limit)
        return int(total), list(s.scalars(page))


#: How deep into a broad search's pages `_along_reference` reads (beyond, the index's way).
_ALONG_REFERENCE_OFFSET = 1_000


def _along_reference(s: Session, clock: Clock, filters: dict[str, Any], sort: str | None,
                     offset: int) -> Select[Any]:
    """The page's statement for a search box matching more than the count limit, newest
    first, on PostgreSQL: each agreement's document checked as the reference index is
    read backwards, so the first page of "university" (80,000 matches) reads ~100
    agreements. The same matches as `filtered`; as a join the planner took every match
    from the trigram index and sorted them (80,000: 200-400 ms; its estimate of how many
    match a pattern is far off)."""
    words = tokens(filters.get("q"))
    if (not words or s.get_bind().dialect.name != "postgresql" or (sort or "-ref").strip() != "-ref"
            or offset > _ALONG_REFERENCE_OFFSET):
        return filtered(s, clock, **filters)
    doc = (select(AgreementSearch.doc).where(AgreementSearch.agreement_id == Agreement.id)
           .correlate(Agreement).scalar_subquery())
    return filtered(s, clock, **{**filters, "q": None}).where(
        *(doc.like(_like(w), escape="\\") for w in words))


def pending(s: Session) -> bool:
    """Whether the search index has documents to build (`refresh`): one probe."""
    return s.scalar(select(SearchPending.id).limit(1)) is not None
