"""The one error a booking action raises: a message, and the form field it belongs to."""

from clubsite.domain import DomainError, Stale


class BookingError(DomainError):
    """A refused booking or hall action: .message says why, .field names the form field or None."""


class StaleBooking(BookingError, Stale):
    """The form was made from an older version of the booking: someone changed it meanwhile."""


class SiteError(DomainError):
    """A refused site action (add, rename, close): .message says why, .field names the field."""
