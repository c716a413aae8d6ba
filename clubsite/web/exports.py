"""Personal-data exports leave encrypted unless staff explicitly choose otherwise.

Every staff export runs the same flow (`offer`):

1. GET shows a choice: an AES-256 encrypted ZIP (the default) or a plain file, the latter only
   with a box ticked that says the file is unprotected.
2. POST, encrypted: the export is made and encrypted under a new random passphrase; the archive
   waits server-side (`prepared_export`, at most EXPIRES) behind a one-time random link. The
   page shows the passphrase once, with the link: nothing personal is in the URL, and the
   passphrase is never stored. The link works once, for the staff member who made it.
3. POST, plain (after the warning): the file itself.

Each export is audited with its form (`export.prepared`, detail `<kind>:encrypted|plain`), and
the download of an archive as `export.downloaded`; the export's own event (which member, which
fields) is recorded by whoever makes the file.
"""

import secrets
from datetime import timedelta

from flask import abort, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, select
from wtforms import BooleanField, RadioField
from wtforms.validators import ValidationError

from clubsite import unit_of_work
from clubsite.database import as_utc, utcnow
from clubsite.domain import Actor
from clubsite.downloads import download, encrypted_zip, new_passphrase
from clubsite.errors import render_error
from clubsite.extensions import db
from clubsite.privacy import audit
from clubsite.privacy.policy import policy_current
from clubsite.privacy.retention import retention_task
from clubsite.security import token_hash
from clubsite.web import office
from clubsite.web.guard import requires

EXPIRES = timedelta(minutes=15)
ENCRYPTED, PLAIN = "encrypted", "plain"


class PreparedExport(db.Model):
    """An encrypted export archive waiting for its one download (deleted then, or on expiry)."""

    id = db.Column(db.Integer, primary_key=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)  # SHA-256 of the link id
    staff_id = db.Column(
        db.Integer, db.ForeignKey("staff_user.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind = db.Column(db.String(32), nullable=False)  # member, fees, registers, ...
    filename = db.Column(db.String(120), nullable=False)
    body = db.Column(db.LargeBinary, nullable=False)  # the AES-encrypted ZIP, never plain
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime(timezone=True), nullable=False, index=True)


class ExportForm(FlaskForm):
    """Encrypted archive (default) or plain file, the latter only after the warning."""

    protection = RadioField(
        _l("Form of the file"),
        choices=[
            (ENCRYPTED, _l("Encrypted ZIP archive, opened with a passphrase (recommended)")),
            (PLAIN, _l("Plain file, not protected")),
        ],
        default=ENCRYPTED,
    )
    understood = BooleanField(
        _l(
            "I understand that a plain file is not protected: anyone who gets a copy of it can "
            "read it. I keep it only as long as needed and then delete it."
        )
    )

    def validate_understood(self, field):
        """A plain file needs the warning acknowledged."""
        if self.protection.data == PLAIN and not field.data:
            raise ValidationError(_l("Tick the box to confirm, or choose the encrypted archive."))


def offer(make, filename, *, kind, title, back_url):
    """The export page of one endpoint: GET the choice, POST the archive page or plain file.

    `make()` returns the file's content (str or bytes) and records the export's own audit
    event; it runs only once the staff member has chosen.
    """
    form = ExportForm()
    if not form.validate_on_submit():
        return render_template(
            "backoffice/export_choose.html", form=form, title=title, back_url=back_url
        )
    actor = Actor.staff(current_user)
    body = make()
    if form.protection.data == PLAIN:
        audit.record("export.prepared", detail=f"{kind}:{PLAIN}", actor=actor)
        return download(body, filename)
    passphrase = new_passphrase()
    archive = encrypted_zip(body, filename, passphrase)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with unit_of_work.write():
        purge_expired(now)
        db.session.add(
            PreparedExport(
                token_hash=token_hash(token),
                staff_id=current_user.id,
                kind=kind,
                filename=f"{filename.rsplit('.', 1)[0]}.zip",
                body=archive,
                created_at=now,
                expires_at=now + EXPIRES,
            )
        )
        audit.record("export.prepared", detail=f"{kind}:{ENCRYPTED}", actor=actor)
    return render_template(
        "backoffice/export_ready.html",
        title=title,
        back_url=back_url,
        passphrase=passphrase,
        link=url_for("backoffice.export_download", token=token),
        minutes=int(EXPIRES.total_seconds() // 60),
        inner=filename,
    )


def purge_expired(now=None):
    """Delete archives whose time is up (in the caller's transaction); returns how many."""
    result = db.session.execute(
        delete(PreparedExport).where(PreparedExport.expires_at < (now or utcnow()))
    )
    return result.rowcount or 0


@retention_task("prepared_exports")
def expire_prepared_exports(now, dry_run=False):
    """Archives nobody downloaded go once their link has expired."""
    if dry_run:
        stale = db.session.scalars(
            select(PreparedExport.id).where(PreparedExport.expires_at < now)
        ).all()
        return len(stale)
    return purge_expired(now)


@office.route("/exports/<token>")
@requires("account")
def export_download(token):
    """The one download of a prepared archive, for the staff member who prepared it."""
    if len(token) > 64 or not policy_current(current_user):
        abort(404)
    now = utcnow()
    with unit_of_work.write():
        row = db.session.scalar(
            select(PreparedExport).where(
                PreparedExport.token_hash == token_hash(token),
                PreparedExport.staff_id == current_user.id,
            )
        )
        found = row is not None and as_utc(row.expires_at) > now
        if found:
            body, filename, kind = row.body, row.filename, row.kind
            gone = db.session.execute(delete(PreparedExport).where(PreparedExport.id == row.id))
            found = gone.rowcount == 1  # a second click at the same moment gets nothing
        if found:
            audit.record("export.downloaded", detail=kind, actor=Actor.staff(current_user))
    if not found:
        return render_error(404, _l("This download link has been used or has expired."))
    return download(body, filename)
