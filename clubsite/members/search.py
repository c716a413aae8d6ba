"""Finding members through blind indexes: exact email, phone, personal code or card number,
or a name prefix. Nothing is decrypted to search; only the page shown is decrypted.

A search matches only on fields the staff member may see (clubsite.privacy.access): a kind of
value the role never sees is not searched at all, and a member is found only through an
enrolment in a covered purpose that holds the matched field. Otherwise the search would tell
reception that a fees-only member with this personal code exists.
"""

from sqlalchemy import select

from clubsite.extensions import db
from clubsite.members import listing
from clubsite.members.cards import is_card_number, normalise_card_number
from clubsite.privacy import access
from clubsite.privacy import fields as store
from clubsite.privacy.models import Member, MemberNameToken
from clubsite.privacy.normalize import MAX_PREFIX, fold_text, search_prefix
from clubsite.privacy.validation import (
    ValidationError,
    validate_email,
    validate_personal_code,
    validate_phone,
)

PAGE_SIZE = 50
NAME_FIELDS = ("first_name", "last_name")


def classify(query, allowed=None):
    """(kind, normalised value) for a search box entry; kind is email, card_number,
    personal_code, phone or name; (None, None) when nothing searchable was typed.

    With `allowed` (field names), only those exact kinds are tried.
    """
    text = (query or "").strip()[:100]
    if not text:
        return None, None
    attempts = []
    if "@" in text:
        attempts.append(("email", validate_email))
    elif is_card_number(text):
        if allowed is None or "card_number" in allowed:
            return "card_number", normalise_card_number(text)
        return "card_number", None
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 11 and not text.startswith("+"):
        attempts.append(("personal_code", validate_personal_code))
    if digits and len(digits) >= 7:
        attempts.append(("phone", validate_phone))
    if allowed is not None:
        attempts = [(kind, check) for kind, check in attempts if kind in allowed]
    for kind, validator in attempts:
        try:
            return kind, validator(text)
        except ValidationError:
            continue
    prefix = search_prefix(text)
    return ("name", prefix) if prefix else (None, None)


def search_members(user, query, *, location_id=None, limit=PAGE_SIZE):
    """Members the staff member may see that match the query, newest first."""
    allowed = access.searchable_fields(user)
    kind, value = classify(query, allowed)
    names = NAME_FIELDS if kind == "name" else (kind,)
    if kind is None or value is None or not set(names) & allowed:
        return kind, []
    statement = select(Member).where(access.field_visible_condition(user, names))
    if kind == "name":
        token = store.name_token(value)
        statement = statement.join(MemberNameToken, MemberNameToken.member_id == Member.id).where(
            MemberNameToken.token == token
        )
    else:
        statement = statement.where(
            getattr(Member, f"{kind}_bidx") == store.index_value(kind, value)
        )
    if location_id:
        statement = statement.where(Member.location_id == location_id)
    members = (
        db.session.scalars(statement.order_by(Member.id.desc()).limit(limit * 2)).unique().all()
    )
    if kind == "name":
        members = _refine_by_full_prefix(query, members)
    return kind, members[:limit]


def _refine_by_full_prefix(query, members):
    """Tokens stop at MAX_PREFIX letters; longer words are checked on the decrypted names."""
    words = [w for w in fold_text(query).split() if len(w) >= 2]
    if not words or (len(words) == 1 and len(words[0]) <= MAX_PREFIX):
        return members
    kept = []
    for member in members:
        names = fold_text(store.display_name(store.read(member, ["first_name", "last_name"])))
        name_words = names.split()
        if all(any(nw.startswith(w) for nw in name_words) for w in words):
            kept.append(member)
    return kept


def list_members(user, *, before_id=None, location_id=None, limit=PAGE_SIZE):
    """A page of members the staff member may see, newest first (keyset pagination); the
    members list's filters and orders are in clubsite.members.listing."""
    query = listing.ListQuery(location_id=location_id, before_id=before_id)
    return listing.list_page(user, query, limit=limit)
