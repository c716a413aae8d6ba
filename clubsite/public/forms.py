"""Public forms: sign-up, asking for a "My data" link, and the self-service actions."""

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, StringField
from wtforms.validators import DataRequired, Length

from clubsite.members.forms import ChoiceBoxes, MemberFieldsForm
from clubsite.privacy.purposes import signup_choices
from clubsite.public.signup import AGE_CONFIRMATION


class _ChoiceLabels(Mapping):
    """choice id -> (label, hint) of the sign-up boxes, from the purpose registry at every use."""

    def __getitem__(self, choice):
        declared = signup_choices()[choice]
        return declared.label, declared.hint

    def __iter__(self):
        return iter(signup_choices())

    def __len__(self):
        return len(signup_choices())


CHOICE_LABELS = _ChoiceLabels()


def _choice_options():
    return [(choice.id, choice.label) for choice in signup_choices().values()]


class HoneypotMixin:
    """A field people never see; bots fill it in. A filled-in form is quietly ignored."""

    website = StringField(
        _l("Leave this field empty"), render_kw={"tabindex": "-1", "autocomplete": "off"}
    )

    def is_bot(self):
        """True if the spam trap was filled in."""
        return bool((self.website.data or "").strip())


class NewsletterConsentMixin:
    """The newsletter consent box, the hash of its wording, and the separate, un-ticked age
    confirmation a consent given online needs (required only with the consent)."""

    consent_newsletter = BooleanField(default=False)
    # The hash of the consent wording shown on the page, to notice a change before storing it.
    consent_newsletter_hash = HiddenField()
    age_confirmed = BooleanField(AGE_CONFIRMATION, default=False)

    def consent_shown(self):
        """The wording hash of a ticked consent box, or None when it was left empty."""
        return self.consent_newsletter_hash.data if self.consent_newsletter.data else None


class SignupForm(HoneypotMixin, NewsletterConsentMixin, MemberFieldsForm):
    """What the visitor wants, the fields that needs, and a separate consent box per purpose."""

    choices = ChoiceBoxes(
        _l("What would you like?"),
        choices=_choice_options,
    )


class AddPurposeForm(NewsletterConsentMixin, MemberFieldsForm):
    """The landing page of an add-purpose link: the fields still missing, and the consent box
    when the newsletter consent has to be given again."""


class LinkRequestForm(HoneypotMixin, FlaskForm):
    """Ask for a link to "My data"."""

    email = EmailField(
        _l("Your email address"),
        validators=[
            DataRequired(message=_l("Please fill this in.")),
            Length(max=254, message=_l("Enter a valid email address.")),
        ],
        render_kw={"autocomplete": "email"},
    )


class CorrectionForm(MemberFieldsForm):
    """Correct one's own details (the inputs shown are those the member's purposes use)."""


class SubscribeForm(NewsletterConsentMixin, FlaskForm):
    """Give consent to news and offers from the "My data" page."""


class EraseForm(FlaskForm):
    """Erase everything: one box to make sure it is meant."""

    understood = BooleanField(
        _l("I understand that my data will be erased and cannot be restored."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
