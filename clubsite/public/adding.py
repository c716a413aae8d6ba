"""Adding the purposes an existing member asked for at sign-up, once they open the mailed link.

The sign-up of a known address stores nothing typed on it (anyone can type anyone's address):
the link (tokens kind "purpose", the purposes sealed inside) goes to the address we already
hold, and its landing page names each purpose and the data it uses. Confirming adds them in one
transaction: missing fields the purposes need are asked for there and validated as the sign-up
validates them; a newsletter consent given on the sign-up form is confirmed (double opt-in).
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from clubsite.domain import Actor
from clubsite.members import service
from clubsite.members.forms import plan_for_purposes
from clubsite.members.service import MemberError
from clubsite.privacy import audit, consent
from clubsite.privacy import fields as store
from clubsite.privacy.purposes import FIELDS, PURPOSES
from clubsite.public import signup, tokens

MSG_NOTHING_CHOSEN = _l("Tick the box to give your consent, or there is nothing to add.")
# What the landing page does with each purpose asked for.
ADD, CONFIRM, CONSENT = "add", "confirm", "consent"


@dataclass(frozen=True)
class Item:
    """One purpose asked for: what it is, the data it uses, and what confirming does with it."""

    purpose: object
    action: str  # ADD (a new enrolment), CONFIRM (a waiting consent), CONSENT (give it here)

    @property
    def field_labels(self):
        """The names of the data the purpose uses, as people read them."""
        return [FIELDS[name].label for name in self.purpose.fields]


@dataclass
class Plan:
    """The landing page: the purposes still to add, and the fields the member must still give."""

    items: list
    ask: dict = field(default_factory=dict)  # field name -> FieldSpec, as the sign-up asks

    @property
    def consent_asked(self):
        """True if the page asks for the newsletter consent anew."""
        return any(item.action == CONSENT for item in self.items)


def _action(member, purpose_id):
    """What confirming does with one purpose asked for, or None if nothing is left to do."""
    purpose = PURPOSES[purpose_id]
    if not purpose.needs_consent:
        return None if member.purpose(purpose_id) is not None else ADD
    state = consent.state(member, purpose_id)
    if state == "pending":
        return CONFIRM
    # Withdrawn or expired since the sign-up: the page asks for it again (not if it is active).
    return CONSENT if member.purpose(purpose_id) is None and member.has_field("email") else None


def plan(member, purpose_ids):
    """What the landing page shows for the purposes a link carries (unknown ids are ignored)."""
    items = []
    for purpose_id in purpose_ids:
        action = _action(member, purpose_id) if purpose_id in PURPOSES else None
        if action is not None:
            items.append(Item(PURPOSES[purpose_id], action))
    adding = [item.purpose.id for item in items if item.action == ADD]
    # One of a purpose's any-of fields is enough (bookings: phone or email).
    has_any = any(member.has_field(name) for pid in adding for name in PURPOSES[pid].any_of)
    ask = {}
    for name, spec in plan_for_purposes(adding).items():
        lacking = not has_any if spec.need == "any_of" else not member.has_field(name)
        if spec.need != "optional" and lacking:
            ask[name] = spec
    return Plan(items, ask)


def add_requested(member, purpose_ids, raw, *, consent_shown=None, age_confirmed=False, language):
    """Add the purposes a link carries (the route redeems the link in the same write block).

    raw: what was typed into the asked-for fields; consent_shown: the wording hash of a ticked
    consent box (None if empty). Returns the ids of the purposes now added or confirmed;
    raises MemberError with the fields' messages, TokenError("nothing") if nothing is left.
    """
    todo = plan(member, purpose_ids)
    if not todo.items:
        raise tokens.TokenError("nothing")  # added meanwhile: the block rolls back
    given = _given_consent(todo, consent_shown, age_confirmed, language)
    values = service.clean_values(raw, list(todo.ask))
    adding = [item.purpose.id for item in todo.items if item.action == ADD]
    used = {name for pid in adding for name in PURPOSES[pid].typed_fields}
    merged = {**store.read(member, sorted(used)), **values}
    service.check_required(merged, adding)
    store.write(member, values)
    actor = Actor.member(member)
    done = []
    for purpose_id in sorted(adding, key=lambda pid: not PURPOSES[pid].club_service):
        basis = PURPOSES[purpose_id].legal_bases[0]
        service.add_purpose(member, purpose_id, merged, basis=basis, source="signup", actor=actor)
        done.append(purpose_id)
    for item in todo.items:
        if item.action == CONFIRM:
            service.confirm_consent(member, item.purpose.id, source="email-link", actor=actor)
            done.append(item.purpose.id)
        elif item.action == CONSENT and given:
            # Given on the landing page it counts at once: the mailed link proved the address.
            signup.give_online_consent(
                member,
                item.purpose.id,
                source="email-link",
                actor=actor,
                language=language,
                confirmed=True,
            )
            done.append(item.purpose.id)
    if not done:
        raise MemberError({"consent_newsletter": MSG_NOTHING_CHOSEN})
    audit.record(
        "self_service.purposes_added",
        subject=member.public_id,
        fields=values.keys(),
        detail=",".join(done),
        actor=actor,
    )
    return done


def _given_consent(todo, shown, age_confirmed, language):
    """True if the page's consent box was ticked (with its age confirmation) under the current
    wording; MemberError for a changed wording or a missing age confirmation."""
    if not todo.consent_asked or not shown:
        return False
    if not signup.is_current_wording(shown, "newsletter", language):
        raise MemberError({"consent_newsletter": signup.MSG_WORDING_CHANGED})
    errors = signup.check_age(True, age_confirmed)
    if errors:
        raise MemberError(errors)
    return True
