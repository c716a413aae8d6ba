"""Backups (admin): list, make one now, verify one; a home-page warning when they get old.

Restoring is deliberately not on this page: it replaces the whole database, ends every staff
session (including this one) and needs the job runner stopped, so it is done at the
server with `flask --app wsgi backup restore FILE` (docs/deploy.md), which the page shows.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from clubsite import unit_of_work
from clubsite.backup import service, status
from clubsite.backup.container import BackupError
from clubsite.domain import Actor
from clubsite.web import office
from clubsite.web.forms import EmptyForm
from clubsite.web.guard import requires
from clubsite.web.panels import home_panel


@office.route("/backups")
@requires("backups")
def backups():
    """Every backup with its manifest, the newest, and the buttons to make or check one."""
    return render_template("backoffice/backups.html", overview=status.overview(), form=EmptyForm())


@office.route("/backups/create", methods=["POST"])
@requires("backups")
def backup_create():
    """Make a backup now."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    # Making the file (snapshot, compression, encryption) takes a while and writes no row, so
    # it runs outside the write lock; a failure is shown here, as the one write below is not
    # reached. That write appends what the backup recorded: its audit event.
    try:
        result = service.create_backup(actor=Actor.staff(current_user))
    except BackupError as exc:
        service.write_status(error=str(exc.message))
        flash(_("The backup failed: %(reason)s", reason=exc.message), "error")
    else:
        with unit_of_work.write():
            pass  # the "backup.created" event, collected by create_backup, is appended here
        flash(_("Backup %(name)s made.", name=result.path.name), "success")
        if result.second_error:
            flash(_("The copy to the second folder failed; see the page below."), "warning")
    return redirect(url_for("backoffice.backups"))


@office.route("/backups/verify", methods=["POST"])
@requires("backups")
def backup_verify():
    """Decrypt and check one backup completely."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = request.form.get("name", "")
    if not service.NAME_RE.fullmatch(name):
        abort(404)
    try:
        manifest = service.verify_backup(service.resolve(name))
    except BackupError as exc:
        flash(
            _("Backup %(name)s failed its check: %(reason)s", name=name, reason=exc.message),
            "error",
        )
    else:
        rows = sum(manifest["tables"].values())
        flash(
            _("Backup %(name)s is complete and intact (%(rows)d rows).", name=name, rows=rows),
            "success",
        )
    return redirect(url_for("backoffice.backups"))


@home_panel("backups", _l("Backups"), "backoffice/panels/backup_status.html", order=90)
def backup_panel(_user):
    """The newest backup's age; a warning when it is older than two days."""
    last = status.last_backup()
    return {"last": last, "stale": status.is_stale()}
