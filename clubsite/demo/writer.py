"""Writing generated people: encrypted and indexed with the app's key ring, inserted in batches.

Values are encrypted with privacy.crypto.encrypt_field and indexed with privacy.crypto.blind_index
over the same normalisers members.fields uses; rows go in with executemany (COPY on PostgreSQL).
"""

import functools
import uuid

from sqlalchemy import func, insert, select

from clubsite.backup.tables import insert_rows
from clubsite.extensions import db
from clubsite.locations import Location
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.crypto import blind_index, encrypt_field
from clubsite.privacy.models import (
    ConsentEvent,
    ConsentWording,
    Member,
    MemberNameToken,
    MemberPurpose,
    Suppression,
)
from clubsite.privacy.normalize import (
    name_prefixes,
    normalize_code_for_index,
    normalize_email_for_index,
    normalize_phone_for_index,
)

# Two sites with the same three hall names (clubsite.demo.activity): names are unique per site.
LOCATIONS = (
    ("Rīga – centrs", "Brīvības iela 1, Rīga, LV-1010", "P.–Pk. 7:00–22:00, S., Sv. 9:00–20:00"),
    ("Jūrmala", "Jomas iela 5, Jūrmala, LV-2015", "P.–Sv. 8:00–21:00"),
)
MEMBER_COLUMNS = [c.name for c in Member.__table__.columns]
# The exact-lookup normalisers of members.fields, applied here to skip a config lookup per call
# (tests/test_demo.py checks every index against members.fields.index_value).
INDEX_NORMALISERS = {
    "email": normalize_email_for_index,
    "phone": normalize_phone_for_index,
    "personal_code": normalize_code_for_index,
    "card_number": normalize_code_for_index,
}


@functools.cache
def _prefixes(name):
    return tuple(name_prefixes(name))


class Indexer:
    """Blind indexes with the app's key ring; name tokens cached (names repeat a lot)."""

    def __init__(self, ring):
        self.ring = ring
        self.tokens = {}

    def __call__(self, field_name, value):
        """The blind index of an exact-lookup field, as members.fields.index_value makes it."""
        return blind_index(self.ring, field_name, INDEX_NORMALISERS[field_name](value))

    def name_tokens(self, values):
        """The name-prefix tokens of a member's first and last name."""
        prefixes = set()
        for name in ("first_name", "last_name"):
            if name in values:
                prefixes.update(_prefixes(values[name]))
        tokens = []
        for prefix in prefixes:
            token = self.tokens.get(prefix)
            if token is None:
                token = self.tokens[prefix] = blind_index(self.ring, "name", prefix)
            tokens.append(token)
        return tokens


PURPOSE_COLUMNS = [
    "member_id", "purpose", "legal_basis", "source", "fields", "started_at", "ends_at", "keep_until"
]  # fmt: skip
EVENT_COLUMNS = ["member_id", "purpose", "kind", "at", "source", "actor", "wording_hash", "proof"]


class Writer:
    """Encrypts people with the app's keys and inserts them in batches."""

    def __init__(self, now, rnd, indexer):
        self.now, self.rnd, self.index = now, rnd, indexer
        self.ring = indexer.ring
        self.next_id = (db.session.scalar(select(func.max(Member.id))) or 0) + 1
        self.locations = _ensure_locations()
        self.wording = {lang: _ensure_wording(lang) for lang in ("lv", "en")}

    def write(self, people):
        """Insert one batch of people (members, name tokens, purposes, consents); return
        (member id, person) pairs."""
        members, tokens, purposes, events, suppressions = [], [], [], [], []
        written = []
        for person in people:
            member_id, public_id = self.next_id, str(uuid.uuid4())
            self.next_id += 1
            written.append((member_id, person))
            members.append(self._member_row(member_id, public_id, person))
            tokens += [(member_id, token) for token in self.index.name_tokens(person.values)]
            for purpose, basis, source, used, ends, keep in person.enrolments:
                started = person.created_at if purpose != "bookings" else min(ends, self.now)
                purposes.append(
                    (member_id, purpose, basis, source, ",".join(used), started, ends, keep)
                )
            for kind, at in person.consent:
                events.append(self._event(member_id, person, kind, at))
            if person.suppressed:
                suppressions.append(person.suppressed)
        conn = db.session.connection()
        insert_rows(conn, Member.__table__, MEMBER_COLUMNS, members)
        insert_rows(conn, MemberNameToken.__table__, ["member_id", "token"], tokens)
        insert_rows(conn, MemberPurpose.__table__, PURPOSE_COLUMNS, purposes)
        insert_rows(conn, ConsentEvent.__table__, EVENT_COLUMNS, events)
        self._suppress(suppressions)
        return written

    def _member_row(self, member_id, public_id, person):
        """The member's column values, in MEMBER_COLUMNS order, encrypted and indexed."""
        row = dict.fromkeys(MEMBER_COLUMNS)
        row.update(
            id=member_id, public_id=public_id, language=person.language, version=1,
            location_id=self.rnd.choice(self.locations), created_at=person.created_at,
            updated_at=person.created_at, last_verified_at=person.created_at,
        )  # fmt: skip
        for name, value in person.values.items():
            row[f"{name}_enc"] = encrypt_field(
                self.ring, value, table=store.TABLE, column=name, row_id=public_id
            )
            if name in INDEX_NORMALISERS:
                row[f"{name}_bidx"] = self.index(name, value)
            if name == "email":
                row[store.SUPPRESSION_HASH] = store.suppression_hash(self.ring, value)
        return [row[c] for c in MEMBER_COLUMNS]

    def _event(self, member_id, person, kind, at):
        source = "signup" if kind in ("given", "confirmed") else "self-service"
        wording = self.wording[person.language] if kind == "given" else None
        return (member_id, "newsletter", kind, at, source, "member", wording, "")

    def _suppress(self, suppressions):
        rows = {}
        for reason, email in suppressions:
            rows[consent.address_hash(email)] = {"reason": reason, "created_at": self.now}
        if not rows:
            return
        existing = set(
            db.session.scalars(
                select(Suppression.address_hash).where(Suppression.address_hash.in_(rows))
            )
        )
        fresh = [{"address_hash": h, **v} for h, v in rows.items() if h not in existing]
        if fresh:
            db.session.execute(insert(Suppression.__table__), fresh)


def _ensure_locations():
    ids = list(db.session.scalars(select(Location.id).where(Location.active.is_(True))))
    if ids:
        return ids
    for name, address, hours in LOCATIONS:
        db.session.add(Location(name=name, address=address, opening_hours=hours))
    db.session.flush()
    return list(db.session.scalars(select(Location.id)))


def _ensure_wording(language):
    """The stored newsletter consent wording in a language; its hash."""
    text = consent.wording_text("newsletter", language)
    digest = consent.wording_hash(text)
    if db.session.get(ConsentWording, digest) is None:
        db.session.add(
            ConsentWording(hash=digest, purpose="newsletter", language=language, text=text)
        )
        db.session.flush()
    return digest


def taken_indexes():
    """Blind indexes already in use, so added demo members never clash with real ones."""
    taken = {}
    for name in ("email", "phone", "personal_code", "card_number"):
        column = getattr(Member, f"{name}_bidx")
        taken[name] = set(db.session.scalars(select(column).where(column.is_not(None))))
    return taken
