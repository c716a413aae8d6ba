"""The bank commands of `flask --app wsgi fees` (added to the group in clubsite.fees.cli).

sepa-export writes the SEPA direct-debit collection file of the invoices due by a date;
import-statement reads a bank statement (camt.053 or FiDAViSta) and records its payments.
Each command is one transaction and commits itself.
"""

import os
import tempfile
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from clubsite.domain import SYSTEM
from clubsite.extensions import db
from clubsite.fees import sepa, statements
from clubsite.fees.statement_files import parse
from clubsite.fees.statement_lines import unmatched_count
from clubsite.fees.terms import FeesError


def _day(_ctx, _param, value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected a date as YYYY-MM-DD") from None


def _write_atomically(path, data):
    """Write the file under a temporary name and move it into place (0600: it holds IBANs)."""
    fd, temporary = tempfile.mkstemp(dir=path.resolve().parent, prefix=".sepa-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


@click.command("sepa-export")
@click.option("--collection-date", required=True, callback=_day, help="YYYY-MM-DD")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def sepa_export(collection_date, out):
    """Write the pain.008.001.02 file of the invoices due by the collection date."""
    try:
        xml, batch = sepa.export_collection(collection_date, actor=SYSTEM)
    except FeesError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    if xml is None:
        db.session.rollback()
        click.echo("nothing is due for collection by that date; no file written")
        return
    _write_atomically(out, xml)
    try:
        db.session.commit()
    except Exception:
        out.unlink(missing_ok=True)  # the invoices are not marked: the file must not be used
        raise
    total = f"{batch.total_cents // 100}.{batch.total_cents % 100:02d}"
    click.echo(f"{batch.count} collections, {total} EUR, on {collection_date}: {out}")


@click.command("import-statement")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_statement(file):
    """Read a camt.053 or FiDAViSta statement: its credits pay the invoices they name."""
    limit = int(current_app.config["STATEMENT_MAX_MB"]) * 1024 * 1024
    with file.open("rb") as handle:
        data = handle.read(limit + 1)
    try:
        parsed = parse(data, max_bytes=limit)
        record = statements.import_statement(parsed, actor=SYSTEM)
    except FeesError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    db.session.commit()
    click.echo(
        f"{record.matched} paid, {record.returned} returned, {record.unmatched} to assign by "
        f"hand, {record.duplicates} already imported, {record.ignored} not fees"
    )
    waiting = unmatched_count()
    if waiting:
        click.echo(f"{waiting} payments wait to be assigned on the Bank statements page")


COMMANDS = [sepa_export, import_statement]
