"""The one error a booking action raises: a message, and the form field it belongs to."""


class BookingError(ValueError):
    """A refused booking or hall action: .message says why, .field names the form field or None."""

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class StaleBooking(BookingError):
    """The form was made from an older version of the booking: someone changed it meanwhile."""
