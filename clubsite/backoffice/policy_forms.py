"""The form that records a document's yearly review (one per document on the page)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField

from clubsite.privacy.policy_review import NOTE_MAX
from clubsite.web.forms import max_length


class PolicyReviewForm(FlaskForm):
    """A review of one document: the version the reviewer read, and an optional note.

    Built with prefix=<document key>, so the page's forms do not share field ids.
    """

    content_hash = HiddenField()
    note = TextAreaField(
        _l("Note (optional)"),
        description=_l("For example what was checked or changed."),
        validators=[max_length(NOTE_MAX)],
    )
