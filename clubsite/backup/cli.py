"""flask --app wsgi backup create|list|verify|restore|auto|prune  and  db copy-to URL"""

import click
from flask.cli import with_appcontext
from flask_migrate.cli import db as migrate_group

from clubsite.backup import schedule, service
from clubsite.backup.container import BackupError, key_fingerprint
from clubsite.extensions import db
from clubsite.i18n import to_local


@click.group("backup")
def cli():
    """Encrypted backups of the whole database."""


def _fail(exc):
    db.session.rollback()
    raise click.ClickException(str(exc.message)) from None


def _megabytes(size):
    return f"{size / 1_000_000:.1f} MB"


@cli.command("create")
@with_appcontext
def create():
    """Make a backup now (and copy it to BACKUP_SECOND_DIR if set)."""
    try:
        result = service.create_backup()
        db.session.commit()
    except BackupError as exc:
        service.write_status(error=str(exc.message))
        _fail(exc)
    members = result.manifest["tables"].get("member", 0)
    click.echo(
        f"Backup {result.path} ({_megabytes(result.path.stat().st_size)}, {members} members) "
        f"made in {result.seconds:.1f} s."
    )
    if result.second_copy:
        click.echo(f"Copied to {result.second_copy}.")
    if result.second_error:
        click.echo(f"Warning: no second copy: {result.second_error}", err=True)


@cli.command("list")
@with_appcontext
def list_command():
    """List the backups, newest first, with their manifests."""
    try:
        fingerprint = key_fingerprint(service.backup_key())
    except BackupError as exc:
        _fail(exc)
    click.echo(f"Folder: {service.backup_dir()}  (backup key {fingerprint})")
    found = service.list_backups()
    if not found:
        click.echo("No backups yet.")
    for backup in found:
        try:
            manifest = service.describe(backup.path)
            detail = (
                f"{manifest['tables'].get('member', 0)} members, "
                f"schema {manifest.get('schema_revision')}, {manifest.get('dialect')}, "
                f"audit head {(manifest.get('audit_head') or 'not recorded')[:16]}"
            )
        except BackupError as exc:
            detail = f"UNREADABLE: {exc.message}"
        when = to_local(backup.created_at).strftime("%d.%m.%Y %H:%M")
        click.echo(f"{backup.name}  {when}  {_megabytes(backup.size)}  {detail}")


@cli.command("verify")
@click.argument("file")
@with_appcontext
def verify(file):
    """Decrypt and check a backup completely (by name in the backup folder, or a path)."""
    try:
        manifest = service.verify_backup(service.resolve(file))
    except BackupError as exc:
        _fail(exc)
    rows = sum(manifest["tables"].values())
    click.echo(
        f"OK: {file} is complete and intact ({rows} rows in {len(manifest['tables'])} tables)."
    )
    click.echo(f"Audit head at backup time: {manifest.get('audit_head') or 'not recorded'}")


@cli.command("restore")
@click.argument("file")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--no-safety-backup", is_flag=True, help="Do not back up the current database first.")
@with_appcontext
def restore(file, yes, no_safety_backup):
    """Replace the whole database with a backup; later erasures are applied again."""
    from clubsite.backup.restore import restore_backup

    try:
        path = service.resolve(file)
        manifest = service.describe(path)
    except BackupError as exc:
        _fail(exc)
    click.echo(f"Backup made {manifest.get('created_at', '?')[:19]} UTC.")
    click.echo("Everything changed in the database since then will be replaced.")
    if not yes:
        click.confirm("Stop the newsletter sender first. Restore now?", abort=True)
    try:
        report = restore_backup(path, safety_backup=not no_safety_backup)
    except BackupError as exc:
        _fail(exc)
    click.echo(f"Restored {path.name} in {report.seconds:.1f} s.")
    click.echo(
        f"Erased again: {report.erased_again} members; erasure journal entries added: "
        f"{report.journal_added}; suppressed addresses added: {report.suppressions_added}."
    )
    if report.safety_backup:
        click.echo(f"The database as it was before is in {report.safety_backup}.")
    click.echo("All staff sessions were ended: everyone logs in again.")


@cli.command("auto")
@with_appcontext
def auto():
    """Make a backup if the last is older than BACKUP_INTERVAL_HOURS, then prune (for timers)."""
    try:
        result = schedule.run_scheduled()
    except BackupError as exc:
        _fail(exc)
    if result is None:
        click.echo("No backup due.")
    else:
        click.echo(f"Backup {result.path} made in {result.seconds:.1f} s.")


@cli.command("prune")
@with_appcontext
def prune():
    """Delete backups beyond BACKUP_KEEP_DAILY daily and BACKUP_KEEP_WEEKLY weekly ones."""
    removed = schedule.prune()
    click.echo(f"Removed {len(removed)} old backups." if removed else "Nothing to remove.")


@migrate_group.command("copy-to")
@click.argument("url")
@with_appcontext
def copy_to(url):
    """Copy this database into an empty one at URL (e.g. SQLite to PostgreSQL)."""
    from clubsite.backup.dbcopy import copy_to as run_copy

    try:
        report = run_copy(url)
    except BackupError as exc:
        _fail(exc)
    total = sum(report.counts.values())
    click.echo(f"Copied {total} rows in {len(report.counts)} tables; the row counts match.")
    for name in report.skipped:
        click.echo(f"Skipped empty table {name} (not in the target's schema).")
    click.echo("Now set CLUBSITE_DATABASE_URL to the new database and restart the app.")
