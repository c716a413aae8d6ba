"""Invoice documents in the back office: the accountant's print page, PDF and "send to the
member"; the invoices waiting at the desk, for the accountant (to print) and for reception (to
hand over)."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from clubsite import unit_of_work
from clubsite.domain import Actor
from clubsite.downloads import download
from clubsite.extensions import db
from clubsite.fees import documents, handover, invoices, mailing
from clubsite.web import office
from clubsite.web.forms import EmptyForm, flash_errors
from clubsite.web.guard import requires
from clubsite.web.panels import home_panel


def _actor():
    return Actor.staff(current_user)


def _invoice_or_404(public_id):
    return invoices.invoice_by_public_id(public_id) or abort(404)


def _document(invoice):
    """The invoice's document, its read audited under the staff member."""
    invoices.read_invoice(invoice, actor=_actor())
    return documents.invoice_document(invoice)


@office.route("/fees/invoices/<public_id>/document")
@requires("fees")
def fees_invoice_document(public_id):
    """The invoice as the member gets it, ready to print on A4, with how it was sent."""
    invoice = _invoice_or_404(public_id)
    doc = _document(invoice)
    with force_locale(doc.language):
        page = render_template(
            "backoffice/fees/_invoice_document.html", doc=doc, t=documents.texts(doc)
        )
    delivery, reminders = mailing.delivery_of(invoice)
    return render_template(
        "backoffice/fees/invoice_document.html",
        invoice=invoice,
        document=Markup(page),  # noqa: S704  (our own template's output, escaped there)
        delivery=delivery,
        reminders=reminders,
        send_form=EmptyForm(),
        club_iban=current_app.config.get("CLUB_IBAN"),
    )


@office.route("/fees/invoices/<public_id>/pdf")
@requires("fees")
def fees_invoice_pdf(public_id):
    """The invoice's PDF, in its member's language."""
    doc = _document(_invoice_or_404(public_id))
    return download(documents.render_pdf(doc), documents.pdf_filename(doc))


@office.route("/fees/invoices/<public_id>/send", methods=["POST"])
@requires("fees")
def fees_invoice_send(public_id):
    """Send an open invoice to its member now: by email with the PDF, or to the desk."""
    invoice = _invoice_or_404(public_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with unit_of_work.write(form) as outcome:
        channel = mailing.deliver_invoice(invoice, actor=_actor())
    if outcome.ok:
        flash(SENT[channel], "success")
    flash_errors(form)
    return redirect(url_for("backoffice.fees_invoice_document", public_id=public_id))


SENT = {
    "email": _l("The invoice is on its way to the member by email."),
    "desk": _l("The member gave no address for invoices: it waits at the desk."),
}


@office.route("/fees/desk-invoices")
@requires("fees")
def fees_desk_invoices():
    """Invoices waiting at the desk, to print for the members who gave no address."""
    rows = handover.waiting_for_accountant(actor=_actor())
    return render_template("backoffice/fees/desk_invoices.html", rows=rows, accountant=True)


@office.route("/desk/invoices")
@requires("desk")
def desk_invoices():
    """Invoices to hand over at the desk (printed by the accountant), and "handed over"."""
    rows = handover.waiting_for_desk(current_user)
    return render_template(
        "backoffice/fees/desk_invoices.html", rows=rows, accountant=False, form=EmptyForm()
    )


@office.route("/desk/invoices/<public_id>/handed-over", methods=["POST"])
@requires("desk")
def desk_invoice_handed_over(public_id):
    """Reception gave the member their invoice."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with unit_of_work.write():
        invoice = handover.hand_over(public_id, actor=_actor())
    flash(_("Invoice %(number)s is handed over.", number=invoice.number), "success")
    return redirect(url_for("backoffice.desk_invoices"))


@home_panel("desk", _l("Invoices to hand over"), "backoffice/panels/desk_invoices.html", order=25)
def desk_invoices_panel(user):
    """How many invoices wait at the desk for their members."""
    waiting = handover.waiting_query().subquery()
    return {"count": db.session.scalar(select(func.count()).select_from(waiting))}
