"""The accountant's bank pages: the direct-debit collection file, statement upload, the lines
left to assign by hand, and a member's mandate."""

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from clubsite import unit_of_work
from clubsite.domain import Actor
from clubsite.downloads import download
from clubsite.extensions import csrf, db
from clubsite.fees import mandates, sepa, statement_lines, statements
from clubsite.fees.bank_forms import (
    SEQUENCE_LABELS,
    AssignForm,
    CollectionForm,
    MandateForm,
    StatementForm,
)
from clubsite.fees.bank_models import Mandate, StatementImport
from clubsite.fees.forms import VersionForm
from clubsite.fees.statement_files import parse
from clubsite.fees.terms import FeesError
from clubsite.i18n import today_local
from clubsite.members.service import member_by_public_id
from clubsite.privacy import access
from clubsite.privacy.models import Member
from clubsite.web import office
from clubsite.web.forms import flash_errors
from clubsite.web.guard import requires
from clubsite.web.params import parse_day

FEES = "fees"


def _actor():
    return Actor.staff(current_user)


@office.route("/fees/direct-debit")
@requires(FEES)
def fees_sepa():
    """What a collection file for a date would hold, the form to write it, and past files."""
    day = parse_day(request.args.get("date", "")) or today_local() + timedelta(days=5)
    form = CollectionForm(formdata=None, collection_date=day)
    count, total = sepa.preview(day)
    try:
        sepa.creditor_config()
        setup_error = None
    except FeesError as exc:
        setup_error = exc.message
    return render_template(
        "backoffice/fees/sepa.html",
        form=form,
        day=day,
        count=count,
        total=total,
        batches=sepa.recent_batches(),
        setup_error=setup_error,
    )


@office.route("/fees/direct-debit/file", methods=["POST"])
@requires(FEES)
def fees_sepa_file():
    """Write the pain.008 file of what is due by the date; its invoices are sent for collection."""
    form = CollectionForm()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            xml, batch = sepa.export_collection(form.collection_date.data, actor=_actor())
        if outcome.ok and xml is None:
            flash(_("Nothing is due for collection by that date."), "info")
        elif outcome.ok:
            name = f"sepa-{batch.collection_date.isoformat()}-{batch.message_id}.xml"
            return download(xml, name)
    flash_errors(form)
    return redirect(url_for("backoffice.fees_sepa"))


@office.route("/fees/statements", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself, after the larger upload limit is set
@requires(FEES)
def fees_statements():
    """Upload a bank statement: its credits pay invoices; the rest is left to assign."""
    request.max_content_length = _upload_limit() + 1024 * 1024  # the form's own parts
    form = StatementForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        data = upload.read(_upload_limit() + 1) if upload else b""
        try:
            parsed = parse(data, max_bytes=_upload_limit())
        except FeesError as exc:
            form.file.errors = [exc.message]
        else:
            with unit_of_work.write(form) as outcome:
                record = statements.import_statement(parsed, actor=_actor())
            if outcome.ok:
                _flash_import(record)
                return redirect(url_for("backoffice.fees_statements"))
    imports = db.session.scalars(
        select(StatementImport).order_by(StatementImport.id.desc()).limit(20)
    ).all()
    return render_template(
        "backoffice/fees/statements.html",
        form=form,
        imports=imports,
        unmatched=statement_lines.unmatched_count(),
    )


def _upload_limit():
    """The largest statement file read, in bytes (STATEMENT_MAX_MB)."""
    return int(current_app.config["STATEMENT_MAX_MB"]) * 1024 * 1024


def _flash_import(record):
    flash(
        _(
            "Statement read: %(matched)d payments recorded, %(returned)d direct debits returned, "
            "%(unmatched)d to assign by hand, %(duplicates)d already imported before.",
            matched=record.matched,
            returned=record.returned,
            unmatched=record.unmatched,
            duplicates=record.duplicates,
        ),
        "success",
    )


@office.route("/fees/statements/lines")
@requires(FEES)
def fees_statement_lines():
    """The credits nobody could match, oldest first, with a suggestion where one fits."""
    rows = statement_lines.unmatched_lines(actor=_actor())
    return render_template(
        "backoffice/fees/statement_lines.html",
        rows=rows,
        assign=AssignForm(formdata=None),
        dismiss=VersionForm(formdata=None),
        limit=statement_lines.PAGE,
    )


@office.route("/fees/statements/lines/<public_id>", methods=["POST"])
@requires(FEES)
def fees_statement_line(public_id):
    """Assign one unmatched credit to an invoice, or dismiss it as no fee."""
    line = statement_lines.line_by_public_id(public_id) or abort(404)
    dismissing = request.form.get("action") == "dismiss"
    form = VersionForm() if dismissing else AssignForm()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            if dismissing:
                statement_lines.dismiss_line(
                    line, expected_version=form.version.data, actor=_actor()
                )
            else:
                statement_lines.assign_line(
                    line, form.invoice.data, expected_version=form.version.data, actor=_actor()
                )
        if outcome.ok:
            flash(_("Dismissed.") if dismissing else _("The payment is recorded."), "success")
    flash_errors(form)
    return redirect(url_for("backoffice.fees_statement_lines"))


def _member_or_404(public_id):
    member = member_by_public_id(public_id)
    if member is None or not access.may(current_user, "view", member):
        abort(404)
    return member


@office.route("/fees/members/<public_id>/mandate", methods=["GET", "POST"])
@requires(FEES)
def fees_mandate(public_id):
    """A member's direct-debit mandates, and recording one signed on paper."""
    member = _member_or_404(public_id)
    form = MandateForm()
    if request.method == "GET":
        form.signed_on.data = today_local()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            mandates.record_mandate(
                member,
                iban=form.iban.data,
                reference=form.reference.data,
                signed_on=form.signed_on.data,
                sequence=form.sequence.data,
                actor=_actor(),
            )
        if outcome.ok:
            flash(_("The mandate is recorded."), "success")
            return redirect(url_for("backoffice.fees_mandate", public_id=public_id))
    view = access.read_member(current_user, member, action="fees.mandate_read")
    return render_template(
        "backoffice/fees/mandate.html",
        member=member,
        view=view,
        iban=mandates.masked_iban(view.values.get("iban", "")),
        mandates=mandates.mandates_of(member),
        form=form,
        revoke=VersionForm(formdata=None),
        sequences=SEQUENCE_LABELS,
    )


@office.route("/fees/mandates/<public_id>/revoke", methods=["POST"])
@requires(FEES)
def fees_mandate_revoke(public_id):
    """Revoke a mandate (the member asked, or the bank said so); the IBAN is erased."""
    mandate = db.session.scalar(select(Mandate).where(Mandate.public_id == public_id[:36]))
    if mandate is None:
        abort(404)
    member = db.session.get(Member, mandate.member_id)
    if member is None or not access.may(current_user, "view", member):
        abort(404)
    form = VersionForm()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            mandates.revoke_mandate(member, mandate, actor=_actor())
        if outcome.ok:
            flash(_("The mandate is revoked."), "success")
    flash_errors(form)
    return redirect(url_for("backoffice.fees_mandate", public_id=member.public_id))
