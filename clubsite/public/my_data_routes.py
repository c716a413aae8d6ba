"""Member self-service (/mani-dati): a link by email, then every GDPR right on one page."""

from datetime import UTC, datetime

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clubsite import unit_of_work
from clubsite.access.card import card_from, own_card
from clubsite.domain import Actor, NotFound
from clubsite.downloads import download
from clubsite.extensions import limiter
from clubsite.fees import documents, handover, mandates
from clubsite.fees.bank_forms import GiveMandateForm
from clubsite.i18n import current_language, format_date
from clubsite.members.forms import typed_values
from clubsite.newsletter import undeliverable
from clubsite.privacy import audit, consent
from clubsite.privacy import fields as store
from clubsite.privacy.purposes import FIELDS, PURPOSES
from clubsite.privacy.validation import format_iban, format_phone
from clubsite.public import bp, export_display, limits, mails, selfservice
from clubsite.public.forms import CorrectionForm, EraseForm, LinkRequestForm, SubscribeForm
from clubsite.public.member_session import (
    close_member_session,
    current_member,
    member_required,
    open_member_session,
    session_until,
)
from clubsite.public.signup import age_confirmation
from clubsite.public.signup_routes import link_invalid
from clubsite.public.tokens import TokenError, peek
from clubsite.web.forms import EmptyForm


@bp.route("/mani-dati", methods=["GET", "POST"])
@limiter.limit(limits.LINK_PER_CLIENT, methods=["POST"])
@limiter.limit(limits.LINK_PER_ADDRESS, key_func=limits.address_key, methods=["POST"])
def my_data():
    """Your data if your session is open; otherwise ask for a link (same answer for anyone)."""
    member = current_member()
    if member is not None and request.method == "GET":
        return _render_overview(member)
    form = LinkRequestForm()
    if form.validate_on_submit():
        if form.is_bot():
            return redirect(url_for("public.my_data_link_sent"))
        with unit_of_work.write(form) as outcome:
            member = selfservice.request_link(form.email.data)
            if member is not None:  # known and unknown addresses get the same answer
                mails.queue_access_link(member)
        if outcome.ok:
            return redirect(url_for("public.my_data_link_sent"))
    return render_template("public/my_data_request.html", form=form)


@bp.route("/mani-dati/saite-nosutita")
def my_data_link_sent():
    """ "If the address is known, a link is on its way" - for known and unknown alike."""
    return render_template("public/my_data_link_sent.html")


def _open(kind, token):
    try:
        if request.method == "GET":
            peek(kind, token)
            return render_template("public/my_data_open.html", form=EmptyForm(), kind=kind)
        with unit_of_work.write():
            member = selfservice.open_from_link(kind, token)
            open_member_session(member)  # the server-side session is written with the link
    except TokenError as exc:
        return link_invalid(exc.reason)
    return redirect(url_for("public.my_data"))


@bp.route("/mani-dati/atvert/<token>", methods=["GET", "POST"])
@limiter.limit(limits.CONFIRM_PER_CLIENT, methods=["POST"])
@limiter.limit(limits.CONFIRM_PER_LINK, key_func=limits.link_key, methods=["POST"])
def my_data_open(token):
    """Open "My data" from the emailed link (a click, so mail scanners cannot use it up)."""
    return _open("access", token)


@bp.route("/mani-dati/parbaudit/<token>", methods=["GET", "POST"])
@limiter.limit(limits.CONFIRM_PER_CLIENT, methods=["POST"])
@limiter.limit(limits.CONFIRM_PER_LINK, key_func=limits.link_key, methods=["POST"])
def my_data_reverify(token):
    """Open "My data" from the yearly "are your details right?" mail."""
    return _open("reverify", token)


# Parts of the export the page shows in their own sections; other packages' sections follow.
BASE_KEYS = {
    "member_id",
    "created_at",
    "last_verified_at",
    "language",
    "data",
    "purposes",
    "consent_events",
    "direct_debit",  # shown in its own section, with the mandate's buttons
    "invoices",  # listed with their PDFs (public/_my_invoices.html)
}


def _display(name, value):
    """Phone numbers and IBANs the way people write them."""
    try:
        if name == "phone":
            return format_phone(value)
        if name == "iban":
            return format_iban(value)
    except ValueError:
        pass
    return value


def _render_overview(member, *, correction=None, erase=None, subscribe=None, mandate=None):
    language = current_language()
    export = selfservice.overview(member, language=language)
    names = selfservice.correctable_fields(member)
    if correction is None:
        current = store.read(member, names)
        correction = CorrectionForm(
            formdata=None, data={name: _display(name, value) for name, value in current.items()}
        )
    wording = consent.wording_text("newsletter", member.language)
    subscribe = subscribe or SubscribeForm(formdata=None)
    subscribe.consent_newsletter_hash.data = consent.wording_hash(wording)
    age_wording = age_confirmation(member.language)  # beside the wording, in its language
    return render_template(
        "public/my_data.html",
        member=member,
        export=export,
        enrolments={p.purpose: p for p in member.purposes},
        purposes=PURPOSES,
        fields=FIELDS,
        correction=correction,
        correction_fields=names,
        erase=erase or EraseForm(formdata=None),
        subscribe=subscribe,
        wording=wording,
        age_wording=age_wording,
        action_form=EmptyForm(),
        requests=selfservice.select_requests(member.public_id),
        club_must_act=selfservice.CLUB_MUST_ACT,
        session_ends=datetime.fromtimestamp(session_until(), UTC),
        news_state=consent.state(member, "newsletter"),
        extra={k: v for k, v in export.items() if k not in BASE_KEYS and isinstance(v, list) and v},
        show=_display,
        row_label=export_display.label,
        row_value=export_display.value,
        my_invoices=handover.member_invoices(member),
        mandate_form=mandate or GiveMandateForm(formdata=None),
        address_refused=undeliverable.is_marked(member),
        card=card_from(export["data"]),
        **mandates.self_service_context(member),
    )


def _finish(result, message):
    """After an action's write block: tell the member what happened and what happens next."""
    if result.status == "erased":
        close_member_session()
        return redirect(url_for("public.my_data_erased"))
    if result.status == "requested":
        due = format_date(result.request.due_at)
        message = _(
            "We have received your request. The club will carry it out, or tell you why it "
            "cannot yet (for example while an invoice is unpaid), by %(date)s.",
            date=due,
        )
    flash(message, "success")
    return redirect(url_for("public.my_data"))


@bp.route("/mani-dati/dati.<fmt>")
@member_required
def my_data_download(member, fmt):
    """Download everything held about you as JSON or CSV."""
    if fmt not in ("json", "csv"):
        abort(404)
    text = selfservice.export_text(member, fmt, language=current_language())
    return download(text, f"my-data.{fmt}")


@bp.route("/mani-dati/rekini/<public_id>.pdf")
@member_required
def my_data_invoice_pdf(member, public_id):
    """One of your invoices as a PDF, in your language."""
    invoice = handover.member_invoice(member, public_id)
    audit.record(
        "fees.invoice_pdf",
        subject=member.public_id,
        detail=invoice.number,
        actor=Actor.member(member),
    )
    doc = documents.invoice_document(invoice, language=current_language())
    return download(documents.render_pdf(doc), documents.pdf_filename(doc))


@bp.route("/mani-dati/karte")
@member_required
def my_data_card(member):
    """Your member card to print (first name, number and QR)."""
    card = own_card(member)
    if card is None:
        raise NotFound()
    back_url = url_for("public.my_data", _anchor="card")
    page = "cards/print_page.html"
    return render_template(page, layout="base.html", card=card, back_url=back_url)


def _address_link_sent(_response):
    """Only a correction that mailed a link to a new address counts against the limits."""
    return g.get("address_link_sent", False)


@bp.route("/mani-dati/labot", methods=["POST"])
@limiter.limit(limits.LINK_PER_CLIENT, methods=["POST"], deduct_when=_address_link_sent)
@limiter.limit(
    limits.LINK_PER_ADDRESS,
    key_func=limits.address_key,
    methods=["POST"],
    deduct_when=_address_link_sent,
)
@member_required
def my_data_correct(member):
    """Correct your details; this also confirms they are right. A new email address counts
    once it has confirmed itself (a link goes to it)."""
    form = CorrectionForm()
    names = selfservice.correctable_fields(member)
    with unit_of_work.write(form) as outcome:
        result = selfservice.correct(member, typed_values(form, names))
    if not outcome.ok:
        return _render_overview(member, correction=form)
    if result.new_address:
        g.address_link_sent = True
        message = _(
            "We have sent a link to %(email)s. The new address counts once you open the link; "
            "until then we keep writing to your current address.",
            email=result.new_address,
        )
        flash(message, "info")
    if result.changed or not result.new_address:
        flash(_("Your details are saved.") if result.changed else _("Nothing changed."), "success")
    return redirect(url_for("public.my_data"))


@bp.route("/mani-dati/pareizi", methods=["POST"])
@member_required
def my_data_verified(member):
    """ "My data is correct."""
    with unit_of_work.write():
        selfservice.confirm_details(member)
        # They opened this page through a link we mailed: the address works again.
        undeliverable.clear(member, actor=Actor.member(member))
    flash(_("Thank you! We have noted that your details are correct."), "success")
    return redirect(url_for("public.my_data"))


@bp.route("/mani-dati/atteikties", methods=["POST"])
@member_required
def my_data_withdraw(member):
    """Withdraw consent to news and offers (or object to them): one click, effective at once."""
    with unit_of_work.write():
        result = selfservice.withdraw_newsletter(member)
    return _finish(result, _("You will receive no more news and offers from us."))


@bp.route("/mani-dati/beigt/<purpose_id>", methods=["POST"])
@member_required
def my_data_end_purpose(member, purpose_id):
    """End one purpose (or ask the club to, where invoices may be involved)."""
    if purpose_id not in PURPOSES:
        return link_invalid("invalid")
    with unit_of_work.write():
        result = selfservice.end_purpose(member, purpose_id)
    name = PURPOSES[purpose_id].name
    return _finish(result, _("Done: “%(purpose)s” has ended and its data is erased.", purpose=name))


@bp.route("/mani-dati/dzest", methods=["POST"])
@member_required
def my_data_erase(member):
    """Erase everything (or file the request where the club must settle invoices first)."""
    form = EraseForm()
    if not form.validate_on_submit():
        return _render_overview(member, erase=form)
    with unit_of_work.write():
        result = selfservice.erase_everything(member)
    return _finish(result, "")


@bp.route("/mani-dati/jaunumi", methods=["POST"])
@member_required
def my_data_subscribe(member):
    """Give consent to news and offers from "My data"."""
    form = SubscribeForm()
    if not form.consent_newsletter.data:
        form.consent_newsletter.errors = [_("Tick the box to give your consent.")]
        return _render_overview(member, subscribe=form)
    with unit_of_work.write(form) as outcome:
        selfservice.subscribe_newsletter(
            member, form.consent_newsletter_hash.data, age_confirmed=form.age_confirmed.data
        )
    if not outcome.ok:
        return _render_overview(member, subscribe=form)
    flash(_("Thank you! You will receive our news and offers."), "success")
    return redirect(url_for("public.my_data"))


@bp.route("/mani-dati/iziet", methods=["POST"])
def my_data_logout():
    """End the "My data" session in this browser."""
    close_member_session()
    flash(_("You have left “My data”."), "info")
    return redirect(url_for("public.my_data"))


@bp.route("/mani-dati/dzests")
def my_data_erased():
    """After erasure: nothing of you is left but the public id in the erasure journal."""
    return render_template("public/my_data_erased.html")
