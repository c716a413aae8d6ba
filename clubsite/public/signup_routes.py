"""Sign-up (/pieteikties), the double opt-in confirmation link (/apstiprinat/<token>) and the
link that adds what an existing member asked for (/pieteikties/pievienot/<token>)."""

from flask import redirect, render_template, request, url_for

from clubsite import unit_of_work
from clubsite.domain import Actor
from clubsite.extensions import limiter
from clubsite.i18n import current_language
from clubsite.members.forms import (
    TYPED_FIELDS,
    plan_for_choices,
    plans_by_combination,
    typed_values,
)
from clubsite.members.service import confirm_consent, member_by_public_id
from clubsite.privacy import consent
from clubsite.privacy.purposes import PURPOSES, SIGNUP_CHOICES
from clubsite.public import adding, bp, limits, mails
from clubsite.public import signup as rules
from clubsite.public.forms import CHOICE_LABELS, AddPurposeForm, SignupForm
from clubsite.public.tokens import TokenError, peek, purposes_of, redeem
from clubsite.web.forms import EmptyForm

LINK_STATUS = {"invalid": 400, "expired": 410, "used": 410, "nothing": 409}


def link_invalid(reason):
    """A clear page for a link that is tampered with, expired or already used."""
    return render_template("public/link_invalid.html", reason=reason), LINK_STATUS[reason]


def _consent_wording(form):
    """The consent and age wordings the page shows; a box ticked under other words is cleared."""
    language = current_language()
    wording = consent.wording_text("newsletter", language)
    digest = consent.wording_hash(wording)
    if form.consent_newsletter_hash.data and form.consent_newsletter_hash.data != digest:
        form.consent_newsletter.data = False  # it was ticked under other words
    form.consent_newsletter_hash.data = digest
    return {"wording": wording, "age_wording": rules.age_confirmation(language)}


def _render_signup(form, choices):
    wordings = _consent_wording(form)
    return render_template(
        "public/signup.html",
        form=form,
        choices=choices,
        choice_labels=CHOICE_LABELS,
        plan=plan_for_choices(choices),
        plans=plans_by_combination(list(SIGNUP_CHOICES), plan_for_choices),
        fields=TYPED_FIELDS,
        **wordings,
    )


@bp.route("/pieteikties", methods=["GET", "POST"])
@limiter.limit(limits.SIGNUP_PER_CLIENT, methods=["POST"], exempt_when=limits.choosing_only)
@limiter.limit(
    limits.SIGNUP_PER_ADDRESS,
    key_func=limits.address_key,
    methods=["POST"],
    exempt_when=limits.choosing_only,
)
def signup():
    """Choose what you want; the form asks only what that needs (two steps without script)."""
    form = SignupForm()
    if request.method == "GET":
        form.choices.data = rules.clean_choices(request.args.getlist("choices"))
        return _render_signup(form, form.choices.data)
    form.validate()  # CSRF was checked already; this only drops unknown choices
    choices = rules.clean_choices(form.choices.data)
    if form.is_bot():
        return redirect(url_for("public.signup_thanks"))
    if request.form.get("step") == "choose":
        return _render_signup(form, choices)
    with unit_of_work.write(form) as outcome:
        member, created, requested = rules.sign_up(
            choices,
            typed_values(form, TYPED_FIELDS),
            consents={"newsletter": form.consent_shown()},
            language=current_language(),
            age_confirmed=form.age_confirmed.data,
        )
        # Into the outbox with the sign-up, for new and existing people alike (the same time).
        mails.queue_signup_mail(member, created, requested=requested)
    if not outcome.ok:
        return _render_signup(form, choices)
    return redirect(url_for("public.signup_thanks"))


@bp.route("/pieteikties/paldies")
def signup_thanks():
    """The same answer for every sign-up: look for our mail."""
    return render_template("public/signup_thanks.html")


@bp.route("/apstiprinat/<token>", methods=["GET", "POST"])
@limiter.limit(limits.CONFIRM_PER_CLIENT, methods=["POST"])
@limiter.limit(limits.CONFIRM_PER_LINK, key_func=limits.link_key, methods=["POST"])
def confirm(token):
    """Confirm a subscription: the page asks for a click, so mail scanners confirm nothing."""
    try:
        if request.method == "GET":
            if member_by_public_id(peek("confirm", token)) is None:
                raise TokenError("invalid")
            return render_template("public/confirm.html", form=EmptyForm())
        with unit_of_work.write():
            active = _confirm(token)
    except TokenError as exc:
        return link_invalid(exc.reason)
    if not active:
        return link_invalid("nothing")
    return render_template("public/confirmed.html")


def _confirm(token):
    """Redeem the link and confirm the consent; True if the subscription is now active.

    A link whose member no longer exists raises TokenError, so the block rolls back and the
    link stays unused.
    """
    member = member_by_public_id(redeem("confirm", token))
    if member is None:
        raise TokenError("invalid")
    confirm_consent(member, "newsletter", source="email-link", actor=Actor.member(member))
    return consent.state(member, "newsletter") == "active"


def _linked_member(token, *, use):
    """The member of a valid add-purpose link (redeemed when `use`); TokenError otherwise."""
    member = member_by_public_id((redeem if use else peek)("purpose", token))
    if member is None:
        raise TokenError("invalid")
    return member


def _render_adding(form, member, token):
    todo = adding.plan(member, purposes_of(token))
    if not todo.items:
        return link_invalid("nothing")
    return render_template(
        "public/add_purpose.html",
        form=form,
        plan=todo,
        ask=list(todo.ask),
        **_consent_wording(form),
    )


@bp.route("/pieteikties/pievienot/<token>", methods=["GET", "POST"])
@limiter.limit(limits.CONFIRM_PER_CLIENT, methods=["POST"])
@limiter.limit(limits.CONFIRM_PER_LINK, key_func=limits.link_key, methods=["POST"])
def add_purpose(token):
    """Add what an existing member asked for at sign-up: the page names it, a click adds it."""
    form = AddPurposeForm(formdata=None if request.method == "GET" else request.form)
    try:
        if request.method == "GET":
            return _render_adding(form, _linked_member(token, use=False), token)
        with unit_of_work.write(form) as outcome:
            added = adding.add_requested(
                _linked_member(token, use=True),
                purposes_of(token),
                typed_values(form, TYPED_FIELDS),
                consent_shown=form.consent_shown(),
                age_confirmed=form.age_confirmed.data,
                language=current_language(),
            )
        if not outcome.ok:  # rolled back: the link is still unused
            return _render_adding(form, _linked_member(token, use=False), token)
    except TokenError as exc:
        return link_invalid(exc.reason)
    return render_template("public/add_purpose_done.html", added=[PURPOSES[p] for p in added])
