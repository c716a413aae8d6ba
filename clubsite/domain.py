"""What every area shares below the web faces: the domain error base and the actor of an action."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


class DomainError(ValueError):
    """A refused action, said for the user.

    .errors maps form field names (None: the whole form) to messages; .status is the HTTP status
    the unit of work answers with when there is no form to show the errors on.
    """

    status = 400
    # A refusal that is itself recorded (a failed login counts towards the lock): the unit of
    # work commits what the action wrote before showing the error.
    keeps_changes = False

    def __init__(self, message=None, field=None, *, errors=None):
        if errors is None:
            errors = {field: message if message is not None else self.default_message()}
        self.errors = dict(errors)
        self.field = field if field is not None else next(iter(self.errors), None)
        self.message = message if message is not None else next(iter(self.errors.values()), "")
        super().__init__("; ".join(str(m) for m in self.errors.values()))

    def default_message(self):
        """The message when the raiser gave none."""
        return _l("This action is not possible.")


class NotFound(DomainError):
    """What was asked for does not exist (or may not be known to exist)."""

    status = 404

    def default_message(self):
        """Said when nothing more specific is known."""
        return _l("There is no page at this address.")


class Stale(DomainError):
    """The form was made from an older version: someone changed this meanwhile."""

    status = 409

    def default_message(self):
        """Said when the raiser gave no more specific message."""
        return _l(
            "Someone else changed this while you were editing it. Your changes were not saved: "
            "here is the current version."
        )


@dataclass(frozen=True)
class Actor:
    """Who does an action: a staff member, a member in self-service, or the system.

    One value, passed explicitly to the services and the audit log; its ledger form is
    "staff:<public id>", "member" or "system".
    """

    kind: str  # staff, member, system
    id: str | None = None

    @classmethod
    def staff(cls, user):
        """A staff member (a StaffUser, or its public id)."""
        return cls("staff", getattr(user, "public_id", user))

    @classmethod
    def member(cls, member=None):
        """A member acting on their own record (a Member, its public id, or not yet known)."""
        return cls("member", getattr(member, "public_id", member))

    @classmethod
    def system(cls):
        """The software itself: retention, jobs, imports run from the command line."""
        return cls("system", None)

    @property
    def ledger(self):
        """The form stored on consent events: who acted, without personal data."""
        return f"staff:{self.id}" if self.kind == "staff" else self.kind

    def for_member(self, member):
        """A member actor named by the member it acts on (self-service actors are the member)."""
        if self.kind == "member" and self.id is None:
            return Actor("member", getattr(member, "public_id", member))
        return self


SYSTEM = Actor.system()


def as_actor(value):
    """An Actor from an Actor, a ledger string ("staff:<id>", "member", "system") or None."""
    if isinstance(value, Actor):
        return value
    if value is None or value == "system":
        return SYSTEM
    if isinstance(value, tuple):
        return Actor(*value)
    kind, _, ident = str(value).partition(":")
    return Actor(kind, ident or None)
