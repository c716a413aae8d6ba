"""Writing an import's rows: encrypted members, enrolments, name tokens, consent ledger entries
and audit events, batch by batch (part of clubsite.members.importer).

A batch is prepared outside any transaction (`prepare`: public ids, card numbers, ciphertexts,
blind indexes and name tokens, the CPU work) and written inside one short transaction
(`write_batch`): people registered in the meantime are left out, the member ids are taken, and
the rows go to the database through the driver (COPY on PostgreSQL, executemany on SQLite)
rather than one ORM object at a time. The values are the ones members.service.enrol_member
would store.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from itertools import repeat
from operator import itemgetter

from sqlalchemy import LargeBinary, any_, func, literal, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError

from clubsite import outbox
from clubsite.database import new_public_id
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

PURPOSE_FIELDS = {purpose_id: p.fields for purpose_id, p in PURPOSES.items()}
# The outbox renderer (clubsite.public.mails) of an imported consent's confirmation mail.
CONFIRM_RENDERER = "consent_confirm"
LOOKUP_CHUNK = 500  # blind indexes per IN (...) look-up
MEMBER_COLUMNS = [
    "id", "public_id", "location_id", "language", "created_at", "updated_at",
    "last_verified_at", "reverify_sent_at", "version",
    *(f"{name}_enc" for name in FIELDS), *(f"{name}_bidx" for name in INDEXED_FIELDS),
    store.SUPPRESSION_HASH,
]  # fmt: skip
PURPOSE_COLUMNS = [
    "member_id", "purpose", "legal_basis", "source", "fields", "started_at", "ends_at",
    "keep_until",
]  # fmt: skip
EVENT_COLUMNS = [
    "member_id", "purpose", "kind", "at", "source", "actor", "wording_hash", "proof",
    "address_hash",
]  # fmt: skip
TOKEN_COLUMNS = ["member_id", "token"]
_member_tuple = itemgetter(*MEMBER_COLUMNS)
ENC = {name: f"{name}_enc" for name in FIELDS}
BIDX = {name: f"{name}_bidx" for name in INDEXED_FIELDS}


@dataclass
class Batch:
    """Rows made ready for the database, all but their member ids (taken when written)."""

    rows: list  # importer.Row, in the file's order
    members: list  # one dict of member columns per row (the id is filled in when written)
    fields: list  # the field names stored for each row (card_number included)
    tokens: list  # the name-search tokens of each row
    addresses: list  # the consent ledger's keyed hash of each newsletter row's address, or None
    emails: list  # each newsletter row's address (for its confirmation mail), or None


class CardNumbers:
    """New card numbers (cards.issue_card_number, in bulk), none of them in use when the import
    began or issued by it since. One issued by someone else meanwhile (once in a billion) stops
    the batch at the unique index; write_batch(check_cards=True) then replaces it."""

    def __init__(self, taken):
        self.taken = taken  # blind indexes of the card numbers in use
        self.ring = store.ring()

    @classmethod
    def for_import(cls, rows):
        """The issuer for these rows: reads the cards in use only if a row gets one."""
        needed = any("access" in row.purposes for row in rows)
        return cls(taken_indexes("card_number") if needed else set())

    def issue(self):
        """(number, blind index) of a card number nobody has."""
        digits = cards.LENGTH - len(cards.PREFIX) - 1
        while True:
            body = cards.PREFIX + str(secrets.randbelow(10**digits)).zfill(digits)
            number = body + cards.luhn_digit(body)
            # store.index_value("card_number", number) with the ring in hand; the number is
            # digits only, so normalize_code_for_index would return it unchanged.
            digest = blind_index(self.ring, "card_number", number)
            if digest not in self.taken:
                self.taken.add(digest)
                return number, digest


def taken_indexes(name):
    """Every blind index of a field in use. Reading them all is cheaper than thousands of
    look-ups for a large file, and still a fraction of a second for a registry of 100,000."""
    column = getattr(Member, f"{name}_bidx")
    return set(db.session.scalars(select(column).where(column.is_not(None))))


def prepare(rows, options, *, now, card_numbers, token_cache):
    """Encrypt and index a batch of checked rows (importer.Row); touches no database."""
    ring = store.ring()
    stamp = _bound(Member.__table__.c.created_at, now)
    template = dict.fromkeys(MEMBER_COLUMNS)
    template.update(
        language="lv", created_at=stamp, updated_at=stamp, last_verified_at=stamp, version=1
    )
    members, stored, tokens, addresses, emails = [], [], [], [], []
    for row in rows:
        public_id = new_public_id()
        values = row.values
        data = template.copy()
        data["public_id"] = public_id
        for name, value in values.items():
            data[ENC[name]] = encrypt_field(
                ring, value, table=store.TABLE, column=name, row_id=public_id
            )
        for name, digest in row.keys:  # the blind indexes computed when the row was checked
            data[BIDX[name]] = digest
        for name in INDEXED_FIELDS:
            if name in values and data[BIDX[name]] is None:
                data[BIDX[name]] = store.index_value(name, values[name])
        if "email" in values:
            data[store.SUPPRESSION_HASH] = store.suppression_hash(ring, values["email"])
        names = tuple(values)
        if "access" in row.purposes:
            _set_card(data, *card_numbers.issue(), ring)
            names += ("card_number",)
        members.append(data)
        stored.append(names)
        tokens.append(_name_tokens(values, ring, token_cache))
        newsletter = options.needs_proof and "newsletter" in row.purposes
        addresses.append(data[store.SUPPRESSION_HASH] if newsletter else None)
        emails.append(values["email"] if newsletter else None)
    return Batch(rows, members, stored, tokens, addresses, emails)


def _set_card(data, number, digest, ring):
    data[ENC["card_number"]] = encrypt_field(
        ring, number, table=store.TABLE, column="card_number", row_id=data["public_id"]
    )
    data["card_number_bidx"] = digest


def _name_tokens(values, ring, cache):
    """Name-search tokens of one member; names repeat a lot, so each is hashed once."""
    tokens = frozenset()
    for name in store.NAME_FIELDS:
        if name in values:
            value = values[name]
            if value not in cache:
                # blind_index with the ring in hand is store.name_token without the app lookup.
                cache[value] = frozenset(blind_index(ring, "name", p) for p in name_prefixes(value))
            tokens |= cache[value]
    return tokens


def write_batch(batch, options, *, actor, now, card_numbers, check_cards=False):
    """Write a prepared batch in the caller's transaction; returns (written rows, skipped rows).

    A row whose person has been registered since the check (by an earlier batch, an earlier
    run of the same file, or anyone else) is skipped: the look-up runs here, under the write
    lock. With check_cards (a batch tried again after an IntegrityError), card numbers issued
    meanwhile are replaced first. actor is an Actor (or its ledger form, "staff:<id>" or
    "system").
    """
    actor = as_actor(actor)
    registered = _registered_now(batch.rows)
    keep, skipped = [], []
    for index, row in enumerate(batch.rows):
        if registered.intersection(row.keys):
            skipped.append(row)
        else:
            keep.append(index)
    if check_cards:
        _replace_cards_in_use(batch, keep, card_numbers)
    ids = _new_member_ids(len(keep))
    unconfirmed_until = _bound(
        MemberPurpose.__table__.c.keep_until,
        now + timedelta(days=PURPOSES["newsletter"].retention.unconfirmed_days),
    )
    now = _bound(MemberPurpose.__table__.c.started_at, now)  # as the driver takes it
    members, purposes, tokens, events = [], [], [], []
    wording = _wording_hash(options) if options.needs_proof else None
    by = actor.ledger  # the consent ledger's form of who imported
    # Staff hold only a proof that the person once agreed: the consent is recorded as given and
    # counts only once the person confirms by the mailed link (double opt-in); unconfirmed, the
    # purpose is erased after the registry's days, as for a sign-up.
    enrolments = {}  # (purposes, fields) -> the enrolment columns after the member id
    confirmations = []  # (spec, address, member id) of each confirmation mail
    for index, member_id in zip(keep, ids, strict=True):
        row, data, names = batch.rows[index], batch.members[index], batch.fields[index]
        data["id"] = member_id
        members.append(_member_tuple(data))
        kinds = enrolments.get((row.purposes, names))
        if kinds is None:
            kinds = enrolments[(row.purposes, names)] = [
                (purpose_id, options.bases[purpose_id], "import",
                 ",".join(f for f in PURPOSE_FIELDS[purpose_id] if f in names), now, None,
                 unconfirmed_until if wording and purpose_id == "newsletter" else None)
                for purpose_id in row.purposes
            ]  # fmt: skip
        purposes += [(member_id, *kind) for kind in kinds]
        tokens += zip(repeat(member_id), batch.tokens[index])
        if wording and "newsletter" in row.purposes:
            events.append(
                (member_id, "newsletter", "given", now, "import", by, wording, row.proof[:200],
                 batch.addresses[index])
            )  # fmt: skip
            confirmations.append(({"member": data["public_id"]}, batch.emails[index], member_id))
    _insert(Member.__table__, MEMBER_COLUMNS, members)
    _insert(MemberPurpose.__table__, PURPOSE_COLUMNS, purposes)
    _insert(ConsentEvent.__table__, EVENT_COLUMNS, events)
    _insert(MemberNameToken.__table__, TOKEN_COLUMNS, tokens)
    if confirmations:  # made when sent (the link's week starts then), in this transaction
        outbox.enqueue_deferred_many(CONFIRM_RENDERER, confirmations, kind="signup_confirm")
    audit.record_many(
        "member.created",
        [(batch.members[i]["public_id"], batch.fields[i]) for i in keep],
        detail="import",
        actor=actor,
    )
    return [batch.rows[i] for i in keep], skipped


def _in_use(column, digests):
    """Those of the blind indexes that some member has: one = ANY(array) look-up on PostgreSQL,
    a few IN (...) look-ups on SQLite."""
    digests, found = list(digests), set()
    if not digests:
        return found
    if db.engine.dialect.name == "postgresql":
        wanted = any_(literal(digests, type_=postgresql.ARRAY(LargeBinary)))
        return set(db.session.scalars(select(column).where(column == wanted)))
    for start in range(0, len(digests), LOOKUP_CHUNK):
        chunk = digests[start : start + LOOKUP_CHUNK]
        found.update(db.session.scalars(select(column).where(column.in_(chunk))))
    return found


def _registered_now(rows):
    """The (field, blind index) pairs of these rows that a member has now."""
    found = set()
    for name in {name for row in rows for name, _digest in row.keys}:
        digests = {digest for row in rows for n, digest in row.keys if n == name}
        found |= {(name, digest) for digest in _in_use(getattr(Member, f"{name}_bidx"), digests)}
    return found


def _replace_cards_in_use(batch, keep, card_numbers):
    """Give a new card number to a row whose number someone was issued meanwhile (rare)."""
    ring = None
    while True:
        digests = {batch.members[i]["card_number_bidx"]: i for i in keep}
        digests.pop(None, None)
        taken = _in_use(Member.card_number_bidx, digests)
        if not taken:
            return
        ring = ring or store.ring()
        for digest in taken:
            card_numbers.taken.add(digest)
            _set_card(batch.members[digests[digest]], *card_numbers.issue(), ring)


def _new_member_ids(count):
    """Ids for count new members. On SQLite the write lock is held, so the next ids are the
    ones after the highest (what SQLite itself would give); on PostgreSQL, from the sequence."""
    if not count:
        return []
    if db.engine.dialect.name == "postgresql":
        query = text(
            "SELECT nextval(pg_get_serial_sequence('member', 'id')) FROM generate_series(1, :n)"
        )
        return list(db.session.scalars(query, {"n": count}))
    first = db.session.scalar(select(func.coalesce(func.max(Member.id), 0))) + 1
    return list(range(first, first + count))


def _bound(column, value):
    """A value as the driver takes it for this column: SQLite stores dates as text, psycopg
    adapts Python values itself. The rows of a batch share their few dates: converted once."""
    dialect = db.engine.dialect
    if dialect.name == "postgresql":
        return value
    convert = column.type._cached_bind_processor(dialect)
    return value if convert is None else convert(value)


def _insert(table, keys, rows):
    """Insert rows (tuples in the order of keys, values as the driver takes them, see _bound)
    straight through the driver: COPY on PostgreSQL, executemany on SQLite. SQLAlchemy's
    per-row parameter handling would cost more than the inserts themselves here (a member
    brings about fifteen rows: name tokens, enrolments...)."""
    if not rows:
        return
    dialect = db.engine.dialect
    if dialect.name == "postgresql":
        _copy_rows(table, keys, rows)
        return
    statement, positions = _insert_statement(table, tuple(keys), dialect)
    if positions is not None:
        rows = [tuple(row[i] for i in positions) for row in rows]
    db.session.connection().exec_driver_sql(statement, rows)


_STATEMENTS = {}


def _insert_statement(table, keys, dialect):
    """(SQL, None or the order to put a row's values in) of an INSERT of these columns."""
    cache_key = (dialect.name, table.name, keys)
    if cache_key not in _STATEMENTS:
        compiled = table.insert().compile(dialect=dialect, column_keys=list(keys))
        order = list(compiled.positiontup)  # SQLite's qmark style: positional, in table order
        positions = None if order == list(keys) else [keys.index(key) for key in order]
        _STATEMENTS[cache_key] = (str(compiled), positions)
    return _STATEMENTS[cache_key]


def _copy_rows(table, keys, rows):
    """PostgreSQL COPY (psycopg adapts the Python values), in the session's transaction. The
    driver's errors are raised as SQLAlchemy's (a unique violation as IntegrityError), as they
    would be through the session."""
    dialect = db.engine.dialect
    raw = db.session.connection().connection.dbapi_connection
    names = ", ".join(f'"{table.c[key].name}"' for key in keys)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(
            statement, None, exc, dialect.loaded_dbapi.Error, hide_parameters=True
        ) from exc


def _wording_hash(options):
    """Store the consent text people agreed to (once) and return its hash for the ledger."""
    digest = consent.wording_hash(options.wording)
    if db.session.get(ConsentWording, digest) is None:
        db.session.add(
            ConsentWording(hash=digest, purpose="newsletter", language="lv", text=options.wording)
        )
        db.session.flush()
    return digest
