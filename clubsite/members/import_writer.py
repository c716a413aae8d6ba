"""Writing an import's rows: encrypted members, enrolments, name tokens, consent ledger entries
and audit events, in set-based batches (part of clubsite.members.importer).

Speed matters here (a whole registry is imported at once), so rows go to the database through
the driver (COPY on PostgreSQL, executemany on SQLite) rather than one ORM object at a time;
the values are the same as members.service.enrol_member would store.
"""

import secrets

from sqlalchemy import LargeBinary, func, select

from clubsite.database import new_public_id, utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.members import cards
from clubsite.privacy import audit, consent
from clubsite.privacy import fields as store
from clubsite.privacy.crypto import blind_index, encrypt_field
from clubsite.privacy.models import (
    INDEXED_FIELDS,
    ConsentEvent,
    ConsentWording,
    Member,
    MemberNameToken,
    MemberPurpose,
)
from clubsite.privacy.normalize import name_prefixes
from clubsite.privacy.purposes import FIELDS, PURPOSES

BATCH = 2000
PURPOSE_FIELDS = {purpose_id: p.fields for purpose_id, p in PURPOSES.items()}


def write_members(rows, options, *, actor, now=None):
    """Insert the checked rows (importer.Row) in batches, in the caller's transaction.

    actor is an Actor (or its ledger form, "staff:<id>" or "system").
    """
    actor = as_actor(actor)
    now = now or utcnow()
    cards_taken = taken_indexes("card_number") if "access" in options.purposes else set()
    token_cache = {}
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        _insert_batch(batch, options, actor, now, cards_taken, token_cache)


def taken_indexes(name):
    """Every blind index of a field in use. Reading them all is cheaper than thousands of
    look-ups for a large file, and still a fraction of a second for a registry of 100,000."""
    column = getattr(Member, f"{name}_bidx")
    return set(db.session.scalars(select(column).where(column.is_not(None))))


def _insert_batch(rows, options, actor, now, cards_taken, token_cache):
    """Encrypt and insert a batch with set-based inserts: members, enrolments, name tokens,
    consent ledger entries and audit events."""
    ring = store.ring()
    numbers = _issue_cards(sum("access" in row.purposes for row in rows), cards_taken)
    member_rows, all_values = [], []
    for row in rows:
        values = dict(row.values)
        if "access" in row.purposes:
            values["card_number"] = numbers.pop()
        member_rows.append(_member_row(row, values, ring, now))
        all_values.append(values)
    after_id = db.session.scalar(select(func.coalesce(func.max(Member.id), 0)))
    _insert_plain(Member.__table__, member_rows)
    id_of = _ids_of([data["public_id"] for data in member_rows], after_id)
    purposes, tokens, events = [], [], []
    wording = _wording_hash(options) if options.needs_proof else None
    by = actor.ledger  # the consent ledger's form of who imported
    for data, row, values in zip(member_rows, rows, all_values, strict=True):
        member_id = id_of[data["public_id"]]
        purposes += _enrolments(member_id, row, values, options, now)
        tokens += _name_tokens(member_id, values, ring, token_cache)
        if wording and "newsletter" in row.purposes:
            events += [
                _event(member_id, kind, now, by, wording if kind == "given" else None, row.proof)
                for kind in ("given", "confirmed")
            ]
    _insert_plain(MemberPurpose.__table__, purposes)
    _insert_plain(ConsentEvent.__table__, events)
    _insert_plain(MemberNameToken.__table__, tokens)
    _audit_created(member_rows, all_values, actor)


def _member_row(row, values, ring, now):
    """The member's column values: encrypted fields and blind indexes (reused from the check)."""
    public_id = new_public_id()
    data = dict.fromkeys(MEMBER_CIPHER_COLUMNS)
    data.update(
        public_id=public_id, language="lv", created_at=now, updated_at=now,
        last_verified_at=now, version=1, location_id=None, reverify_sent_at=None,
    )  # fmt: skip
    digests = dict(row.keys)
    for name, value in values.items():
        data[f"{name}_enc"] = encrypt_field(
            ring, value, table=store.TABLE, column=name, row_id=public_id
        )
        if name in INDEXED_FIELDS:
            data[f"{name}_bidx"] = digests.get(name) or store.index_value(name, value)
    return data


def _name_tokens(member_id, values, ring, cache):
    """Name-search token rows of one member; names repeat a lot, so each is hashed once."""
    tokens = set()
    for name in store.NAME_FIELDS:
        if name in values:
            value = values[name]
            if value not in cache:
                # blind_index with the ring in hand is store.name_token without the app lookup.
                cache[value] = {blind_index(ring, "name", p) for p in name_prefixes(value)}
            tokens |= cache[value]
    return [{"member_id": member_id, "token": token} for token in tokens]


def _ids_of(public_ids, after_id):
    """Row ids of just-inserted members (a plain executemany is faster than RETURNING)."""
    wanted = set(public_ids)
    query = select(Member.public_id, Member.id).where(Member.id > after_id)
    return {public_id: id_ for public_id, id_ in db.session.execute(query) if public_id in wanted}


def _insert_plain(table, rows):
    """Insert many rows straight through the driver: COPY on PostgreSQL, executemany on SQLite.

    Rows are dicts with the same keys. SQLAlchemy's per-row parameter handling would cost more
    than the inserts themselves here (a member brings about fifteen rows: tokens, enrolments...).
    """
    if not rows:
        return
    dialect = db.engine.dialect
    keys = list(rows[0])
    if dialect.name == "postgresql":
        _copy_rows(table, keys, rows)
        return
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    order = list(compiled.positiontup)  # SQLite's qmark style: positional
    columns = []
    for key in order:
        values = [row[key] for row in rows]
        column_type = table.c[key].type
        # The driver takes bytes as they are; other types (dates on SQLite) need converting.
        convert = None
        if not isinstance(column_type, LargeBinary):
            convert = column_type._cached_bind_processor(dialect)
        if convert is not None:
            done = {}  # most values repeat (the same "now" on every row): convert each once
            values = [done[v] if v in done else done.setdefault(v, convert(v)) for v in values]
        columns.append(values)
    db.session.connection().exec_driver_sql(str(compiled), list(zip(*columns, strict=True)))


def _copy_rows(table, keys, rows):
    """PostgreSQL COPY (psycopg adapts the Python values), in the session's transaction."""
    raw = db.session.connection().connection.dbapi_connection
    names = ", ".join(f'"{table.c[key].name}"' for key in keys)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[key] for key in keys])


def _audit_created(member_rows, all_values, actor):
    """One "member.created" event per member, chained in one insert (audit.record_many)."""
    items = [(d["public_id"], values) for d, values in zip(member_rows, all_values, strict=True)]
    audit.record_many("member.created", items, detail="import", actor=actor)


MEMBER_CIPHER_COLUMNS = [f"{name}_enc" for name in FIELDS] + [
    f"{name}_bidx" for name in INDEXED_FIELDS
]


def _enrolments(member_id, row, values, options, now):
    """The enrolment rows of one member (fields given per purpose, as add_purpose records them)."""
    return [
        {
            "member_id": member_id,
            "purpose": purpose_id,
            "source": "import",
            "legal_basis": options.bases[purpose_id],
            "started_at": now,
            "ends_at": None,
            "fields": ",".join(f for f in PURPOSE_FIELDS[purpose_id] if f in values),
            "keep_until": None,
        }  # fmt: skip
        for purpose_id in row.purposes
    ]


def _event(member_id, kind, now, actor, wording, proof):
    """One consent ledger row: the paper consent, given and (being proven) confirmed."""
    return {
        "member_id": member_id, "purpose": "newsletter", "kind": kind, "at": now,
        "source": "import", "actor": actor, "wording_hash": wording, "proof": proof[:200],
    }  # fmt: skip


def _wording_hash(options):
    """Store the consent text people agreed to (once) and return its hash for the ledger."""
    digest = consent.wording_hash(options.wording)
    if db.session.get(ConsentWording, digest) is None:
        db.session.add(
            ConsentWording(hash=digest, purpose="newsletter", language="lv", text=options.wording)
        )
        db.session.flush()
    return digest


def _issue_cards(count, taken):
    """count new card numbers no member has (cards.issue_card_number, in bulk).

    taken holds the card blind indexes in use; the new ones are added to it.
    """
    numbers = []
    digits = cards.LENGTH - len(cards.PREFIX) - 1
    while len(numbers) < count:
        body = cards.PREFIX + str(secrets.randbelow(10**digits)).zfill(digits)
        number = body + cards.luhn_digit(body)
        digest = store.index_value("card_number", number)
        if digest not in taken:
            taken.add(digest)
            numbers.append(number)
    return numbers
