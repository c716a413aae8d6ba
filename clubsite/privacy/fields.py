"""Reading and writing a member's encrypted fields, with their blind indexes and name tokens.

This is the only module that decrypts member fields; callers go through the access policy
(clubsite.privacy.access), which decides which fields a staff member may have decrypted.
"""

from flask import current_app
from sqlalchemy import delete, select

from clubsite.database import new_public_id
from clubsite.extensions import db
from clubsite.privacy import damage
from clubsite.privacy.crypto import CryptoError, blind_index, decrypt_field, encrypt_field
from clubsite.privacy.models import INDEXED_FIELDS, Member, MemberNameToken
from clubsite.privacy.normalize import (
    name_prefixes,
    normalize_code_for_index,
    normalize_email_for_index,
    normalize_phone_for_index,
)
from clubsite.privacy.purposes import FIELDS

TABLE = "member"
SUPPRESSION_HASH = "email_suppression_hash"
NAME_FIELDS = ("first_name", "last_name")

_INDEX_NORMALISERS = {
    "email": normalize_email_for_index,
    "phone": normalize_phone_for_index,
    "personal_code": normalize_code_for_index,
    "card_number": normalize_code_for_index,
}


def ring():
    """The data key ring of the running app."""
    return current_app.config["KEY_RING"]


def index_value(field, value):
    """The blind index of a validated value of an exact-lookup field."""
    return blind_index(ring(), field, _INDEX_NORMALISERS[field](value))


def suppression_hash(key_ring, email):
    """The keyed hash under which the suppression list holds an address (consent.address_hash)."""
    return blind_index(key_ring, "suppress", normalize_email_for_index(email))


def lookup_columns(key_ring, name, value):
    """column -> keyed hash, for the columns kept in step with a field's value: its blind index
    and, for the email, its hash on the suppression list (SUPPRESSION_HASH)."""
    if name not in INDEXED_FIELDS:
        return {}
    columns = {f"{name}_bidx": blind_index(key_ring, name, _INDEX_NORMALISERS[name](value))}
    if name == "email":
        columns[SUPPRESSION_HASH] = suppression_hash(key_ring, value)
    return columns


def erased_lookup_columns(names):
    """The lookup columns that go with the erased fields `names` (see lookup_columns)."""
    columns = [f"{name}_bidx" for name in names if name in INDEXED_FIELDS]
    if "email" in names:
        columns.append(SUPPRESSION_HASH)
    return columns


def name_token(prefix):
    """The blind index of one folded name prefix."""
    return blind_index(ring(), "name", prefix)


def reader(name):
    """read() of one field for many members at once (a newsletter audience of tens of
    thousands): the key ring is looked up once. The function returned takes a member's public id
    and the field's ciphertext and gives the value, or None when absent or damaged (noted)."""
    key_ring = ring()

    def read_one(public_id, blob):
        if blob is None:
            return None
        try:
            return decrypt_field(key_ring, blob, table=TABLE, column=name, row_id=public_id)
        except CryptoError:
            damage.note(TABLE, public_id, name)
            return None

    return read_one


def read(member, names):
    """Decrypt the named fields of a member; absent fields are left out.

    A value that fails its check (moved from another row, changed, or under a missing key) is
    left out too, and noted as damaged (clubsite.privacy.damage): one damaged row must not
    break every page that shows it. `damaged_fields` tells which ones.
    """
    key_ring = ring()
    values = {}
    for name in names:
        blob = getattr(member, f"{name}_enc")
        if blob is None:
            continue
        try:
            values[name] = decrypt_field(
                key_ring, blob, table=TABLE, column=name, row_id=member.public_id
            )
        except CryptoError:
            damage.note(TABLE, member.public_id, name)
    return values


def damaged_fields(member, names, values):
    """The names among `names` that hold a value `read` could not decrypt."""
    return [name for name in names if name not in values and member.has_field(name)]


def value_damaged(table, row_id, column):
    """True while the stored value of a member field recorded as damaged still fails."""
    if table != TABLE or column not in FIELDS:
        return False
    member = db.session.scalar(select(Member).where(Member.public_id == row_id))
    blob = getattr(member, f"{column}_enc", None) if member is not None else None
    if blob is None:
        return False  # erased, or the member is gone
    try:
        decrypt_field(ring(), blob, table=TABLE, column=column, row_id=row_id)
    except CryptoError:
        return True
    return False


def write(member, values):
    """Encrypt and store validated values, keeping blind indexes and name tokens in step."""
    if member.public_id is None:
        member.public_id = new_public_id()
    key_ring = ring()
    for name, value in values.items():
        if name not in FIELDS:
            raise KeyError(f"unknown member field {name!r}")
        if value in (None, ""):
            erase(member, [name])
            continue
        setattr(
            member,
            f"{name}_enc",
            encrypt_field(key_ring, value, table=TABLE, column=name, row_id=member.public_id),
        )
        for column, digest in lookup_columns(key_ring, name, value).items():
            setattr(member, column, digest)
    if any(name in NAME_FIELDS for name in values):
        _refresh_name_tokens(member, values)


def erase(member, names):
    """Remove fields for good: ciphertext, blind index and (for names) search tokens."""
    for name in names:
        setattr(member, f"{name}_enc", None)
    for column in erased_lookup_columns(names):
        setattr(member, column, None)
    if any(name in NAME_FIELDS for name in names):
        _refresh_name_tokens(member, {name: None for name in names if name in NAME_FIELDS})


def _refresh_name_tokens(member, changed):
    """Replace the member's name tokens with those of the current first and last name."""
    current = read(member, [n for n in NAME_FIELDS if n not in changed])
    current.update({k: v for k, v in changed.items() if k in NAME_FIELDS and v})
    prefixes = set()
    for value in current.values():
        prefixes.update(name_prefixes(value))
    if member.id is None:
        db.session.add(member)
        db.session.flush()
    # Tokens are never loaded as objects: nothing in the session to synchronise.
    db.session.execute(
        delete(MemberNameToken)
        .where(MemberNameToken.member_id == member.id)
        .execution_options(synchronize_session=False)
    )
    if prefixes:
        db.session.execute(
            MemberNameToken.__table__.insert(),
            [{"member_id": member.id, "token": name_token(p)} for p in sorted(prefixes)],
        )


def display_name(values):
    """'First Last' from decrypted values, or an empty string."""
    return " ".join(v for v in (values.get("first_name"), values.get("last_name")) if v)
