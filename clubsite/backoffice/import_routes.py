"""Member import (admin): upload a spreadsheet, map its columns, check, import all or nothing.

The file is read in memory (never written to disk) and kept between the steps as an encrypted,
short-lived database row (clubsite.members.import_files). Each step re-reads it and re-checks
every row, outside any write. The import then writes the rows in batches, each batch one short
write of its own, so the write lock is never held for the whole file; people registered by an
earlier batch or by anyone else meanwhile are skipped, and the upload is discarded with the
last batch.
"""

import io

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, TextAreaField

from clubsite import unit_of_work
from clubsite.domain import Actor, NotFound
from clubsite.errors import render_error
from clubsite.members import import_files, importer
from clubsite.privacy import audit, consent
from clubsite.privacy.purposes import FIELDS, LEGAL_BASES, PURPOSES
from clubsite.web import office
from clubsite.web.forms import MultiCheckboxField
from clubsite.web.guard import requires

PREVIEW_ROWS = 5
UPLOAD_ENDPOINTS = {"backoffice.member_import"}


def _memory_stream(total_content_length, content_type, filename=None, content_length=None):
    return io.BytesIO()


@office.url_value_preprocessor
def keep_uploads_in_memory(endpoint, values):
    """Uploads to the import go to memory, not to a temporary file (they hold personal data).

    This runs before the CSRF check reads the form; the size limit is MAX_CONTENT_LENGTH.
    """
    if endpoint in UPLOAD_ENDPOINTS:
        request._get_file_stream = _memory_stream


class UploadForm(FlaskForm):
    """Step 1: the spreadsheet."""

    file = FileField(
        _l("Spreadsheet (CSV or XLSX)"),
        description=_l("The first row must hold the column names. At most 5 MB."),
    )


def _basis_choices(purpose_id):
    return [(basis, LEGAL_BASES[basis]) for basis in PURPOSES[purpose_id].legal_bases]


class OptionsForm(FlaskForm):
    """Step 2: what the whole file is imported for (the column selects are added per file)."""

    purposes = MultiCheckboxField(
        _l("Purposes for every row"),
        choices=[(p.id, p.name) for p in PURPOSES.values()],
    )
    fees_basis = SelectField(
        _l("Legal basis for fee administration"), choices=_basis_choices("fees")
    )
    newsletter_basis = SelectField(
        _l("Legal basis for the newsletter"), choices=_basis_choices("newsletter")
    )
    wording = TextAreaField(
        _l("The consent text people agreed to"),
        description=_l(
            "Only for consent: the words on the paper form or page where they gave it. Each row "
            "also needs its own proof (a column such as “consent on paper, 12.03.2026”)."
        ),
    )
    confirm_partial = BooleanField(_l("Yes, import only the valid rows and leave out the others"))


def _options_form(table):
    """The options form with one select per column, pre-set to the guessed field."""

    class MappingForm(OptionsForm):
        pass

    choices = [("", _l("— ignore —"))] + list(importer.TARGETS.items())
    for index, (header, guess) in enumerate(
        zip(table.headers, importer.guess_mapping(table.headers), strict=True)
    ):
        field = SelectField(header, choices=choices, default=guess)
        setattr(MappingForm, f"col_{index}", field)
    form = MappingForm()
    if not form.is_submitted():
        form.wording.data = consent.wording_text("newsletter", "lv")
    form.columns = [getattr(form, f"col_{i}") for i in range(len(table.headers))]
    return form


@office.route("/members/import", methods=["GET", "POST"])
@requires("members.import")
def member_import():
    """Step 1: upload the spreadsheet (kept encrypted for an hour at most)."""
    form = UploadForm()
    if form.validate_on_submit():
        table = _read(form, request.files.get("file"))
        if table is not None:
            with unit_of_work.write(form) as outcome:
                stored = import_files.store_upload(current_user, table)
                audit.record(
                    "member.import_uploaded",
                    detail=f"rows={len(table.rows)}",
                    actor=Actor.staff(current_user),
                )
            if outcome.ok:
                return redirect(
                    url_for("backoffice.member_import_check", upload_id=stored.public_id)
                )
    return render_template("backoffice/import/upload.html", form=form)


def _read(form, upload):
    """The uploaded file as a table, or None with the reason under the file input.

    Reading a large spreadsheet is slow and writes nothing, so it runs before (outside) the
    write; its refusal is shown here, where the write block would not see it.
    """
    try:
        return import_files.read_table(upload.filename, upload.read())
    except import_files.ImportFileError as exc:
        form.file.errors = [exc.message]
        return None


@office.route("/members/import/<upload_id>", methods=["GET", "POST"])
@requires("members.import")
def member_import_check(upload_id):
    """Step 2 and 3: map the columns, check every row, then import all or the valid rows."""
    upload, table = import_files.load_upload(current_user, upload_id)
    if upload is None:
        flash(_("This upload has expired. Please upload the file again."), "error")
        return redirect(url_for("backoffice.member_import"))
    form = _options_form(table)
    action = request.form.get("action", "")
    if action == "cancel" and form.validate_on_submit():
        with unit_of_work.write():
            import_files.discard_upload(upload)
        flash(_("The upload has been discarded."), "info")
        return redirect(url_for("backoffice.member_import"))
    plan = None
    if action in ("check", "import", "import_valid") and form.validate_on_submit():
        plan, options = _plan(form, table)
        if plan is not None and action != "check" and _confirmed(form, plan, action):
            try:
                result = _import(upload_id, plan, options, only_valid=action == "import_valid")
            except NotFound:  # imported or discarded by another click
                flash(_("This upload has expired. Please upload the file again."), "error")
                return redirect(url_for("backoffice.member_import"))
            except importer.ImportProblem as exc:
                unit_of_work.apply_to_form(form, exc)
                if isinstance(exc, importer.ImportInterrupted):
                    plan, options = _plan(form, table)  # the report as it stands now
            else:
                return render_template(
                    "backoffice/import/done.html",
                    result=result,
                    plan=plan,
                    existing=sorted(plan.existing + result.skipped),
                    refused=len({number for number, _field, _message in plan.refused}),
                    labels=importer.TARGETS,
                )
    # The preview shows personal data from the file: record who looked at which fields.
    audit.record(
        "member.import_previewed",
        fields=[t for t in (c.data for c in form.columns) if t in FIELDS],
        detail=f"rows={min(PREVIEW_ROWS, len(table.rows))}",
        actor=Actor.staff(current_user),
    )
    return render_template(
        "backoffice/import/check.html",
        form=form,
        table=table,
        preview=table.rows[:PREVIEW_ROWS],
        plan=plan,
        labels=importer.TARGETS,
    )


def _plan(form, table):
    """(plan, options) for the form's mapping and options: every row checked, nothing written.

    Checking every row is the slow part of an import and writes nothing, so it runs before
    (outside) the write; a refused setting goes on the form, as the write block would put it,
    and gives (None, None).
    """
    try:
        options = importer.check_options(
            form.purposes.data,
            {"fees": form.fees_basis.data, "newsletter": form.newsletter_basis.data},
            form.wording.data,
        )
        return importer.plan_import(table, [c.data for c in form.columns], options), options
    except importer.ImportProblem as exc:
        unit_of_work.apply_to_form(form, exc)
        return None, None


def _confirmed(form, plan, action):
    """Importing only the valid rows needs the box ticked (checked before taking the lock)."""
    if action == "import_valid" and plan.refused and not form.confirm_partial.data:
        form.confirm_partial.errors = [
            *form.confirm_partial.errors,
            _("Tick the box to confirm that only the valid rows are imported."),
        ]
        return False
    return True


def _import(upload_id, plan, options, *, only_valid):
    """Enrol the checked rows, each batch in a short write of its own; the first batch claims
    the upload (NotFound when another click imported or discarded it), the last discards it."""
    staff_id = current_user.id
    return importer.run_batches(
        plan,
        options,
        actor=Actor.staff(current_user),
        only_valid=only_valid,
        transaction=unit_of_work.write,
        on_first=lambda: import_files.claim_upload(staff_id, upload_id),
        on_last=lambda: import_files.discard_upload_id(upload_id),
    )


@office.errorhandler(413)
def upload_too_large(_exc):
    """A file over the size limit: say so on the upload page."""
    if request.endpoint not in UPLOAD_ENDPOINTS:
        return render_error(413)
    form = UploadForm(formdata=None)
    form.file.errors = [_("The file is too large: at most 5 MB.")]
    return render_template("backoffice/import/upload.html", form=form), 413
