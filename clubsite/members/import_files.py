"""Spreadsheets for the member import: read CSV or XLSX in memory, and hold an upload between
the preview and the import as an encrypted, short-lived database row (never a plain file).

Why a database row: the staff member checks the column mapping and the report before importing,
so the rows must survive a few requests. Encrypted under the data key, bound to its row and to
the staff member who uploaded it, deleted with the import's last batch or when discarded, and
after an hour at the latest (retention task), it is as safe as the members' own data. An import
that stopped part way keeps its upload (for at most that hour), so it can be run again.
"""

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from clubsite.bulk import gc_paused
from clubsite.database import as_utc, new_public_id, utcnow
from clubsite.domain import DomainError, NotFound
from clubsite.extensions import db
from clubsite.privacy.crypto import decrypt_field, encrypt_field
from clubsite.privacy.keys import register_encrypted
from clubsite.privacy.retention import retention_task

MAX_ROWS = 50_000
MAX_COLUMNS = 40
MAX_CELL = 500
CELL_LIMIT = MAX_CELL * 2  # what is kept of a cell (longer values are refused as too long)
UPLOAD_LIFETIME = timedelta(hours=1)
TABLE = "import_upload"


class ImportFileError(DomainError):
    """The file cannot be read as a table; .message says why, for the staff member."""


@dataclass
class Table:
    """A sheet: the header row's column names and the data rows (text cells, padded)."""

    headers: list
    rows: list  # [(spreadsheet row number, [cell, ...]), ...]


class ImportUpload(db.Model):
    """An uploaded spreadsheet between preview and import: encrypted, short-lived."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    staff_id = db.Column(
        db.Integer, db.ForeignKey("staff_user.id", ondelete="CASCADE"), nullable=False
    )
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime(timezone=True), nullable=False, index=True)
    row_count = db.Column(db.Integer, nullable=False, default=0)
    content_enc = db.Column(db.LargeBinary, nullable=False)  # JSON of the table, encrypted


def _cell_text(value):
    """A spreadsheet cell as the text a person would read in it."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers typed as numbers come back as 29123456.0
    return str(value).strip()[:CELL_LIMIT]


class _Semicolon(csv.excel):
    """CSV as Excel writes it where the decimal separator is a comma."""

    delimiter = ";"


def _decode(data):
    for encoding in ("utf-8-sig", "cp1257"):  # Excel in Latvia saves "CSV" as Windows-1257
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_l("The file is not readable text. Save it as CSV (UTF-8) or XLSX."))


def _csv_rows(data):
    text = _decode(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = _Semicolon if sample.count(";") > sample.count(",") else csv.excel
    return csv.reader(io.StringIO(text, newline=""), dialect)


def _xlsx_rows(data):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ImportFileError(_l("The XLSX file cannot be opened. Is it damaged?")) from None
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
        yield [_cell_text(value) for value in row]
    book.close()


@gc_paused()
def read_table(filename, data):
    """Read the first sheet of an XLSX file or a CSV file (comma, semicolon or tab)."""
    if not data:
        raise ImportFileError(_l("The file is empty."))
    is_xlsx = data[:4] == b"PK\x03\x04" or (filename or "").lower().endswith(".xlsx")
    rows = _xlsx_rows(data) if is_xlsx else _csv_rows(data)
    headers, body = None, []
    try:
        for number, cells in enumerate(rows, start=1):
            # _cell_text, quicker for the text cells of a CSV file
            cells = [
                cell.strip()[:CELL_LIMIT] if type(cell) is str else _cell_text(cell)
                for cell in cells
            ]
            while cells and not cells[-1]:
                cells.pop()  # sheets report trailing empty cells; they are not columns
            if headers is None:
                if any(cells):
                    headers = cells
                continue
            if any(cells):
                body.append((number, cells))
            if len(body) > MAX_ROWS:
                raise ImportFileError(
                    _l("The file has more than %(max)d rows. Split it in parts.", max=MAX_ROWS)
                )
    except csv.Error:
        raise ImportFileError(_l("The CSV file is malformed.")) from None
    if headers is None or not body:
        raise ImportFileError(_l("The file needs a header row and at least one row of data."))
    if len(headers) > MAX_COLUMNS:
        raise ImportFileError(_l("The file has more than %(max)d columns.", max=MAX_COLUMNS))
    width = len(headers)
    headers = [h or f"#{i + 1}" for i, h in enumerate(headers)]
    return Table(headers, [(n, (cells + [""] * width)[:width]) for n, cells in body])


def _ring():
    return current_app.config["KEY_RING"]


def store_upload(staff, table, *, now=None):
    """Keep the table encrypted until the import (returns the upload row)."""
    now = now or utcnow()
    upload = ImportUpload(
        public_id=new_public_id(),
        staff_id=staff.id,
        created_at=now,
        expires_at=now + UPLOAD_LIFETIME,
        row_count=len(table.rows),
    )
    text = json.dumps({"headers": table.headers, "rows": table.rows}, ensure_ascii=False)
    upload.content_enc = encrypt_field(
        _ring(), text, table=TABLE, column="content", row_id=upload.public_id
    )
    db.session.add(upload)
    return upload


def load_upload(staff, public_id, *, now=None):
    """(upload, table) of this staff member's unexpired upload, or (None, None)."""
    if not public_id or len(public_id) > 36:
        return None, None
    upload = db.session.scalar(select(ImportUpload).where(ImportUpload.public_id == public_id))
    # Only the staff member who uploaded the file may preview or import it.
    if upload is None or upload.staff_id != staff.id:
        return None, None
    if as_utc(upload.expires_at) <= (now or utcnow()):
        return None, None
    text = decrypt_field(
        _ring(), upload.content_enc, table=TABLE, column="content", row_id=upload.public_id
    )
    doc = json.loads(text)
    return upload, Table(doc["headers"], [(n, cells) for n, cells in doc["rows"]])


def discard_upload(upload):
    """Delete an upload (when the staff member cancels)."""
    db.session.delete(upload)


def claim_upload(staff_id, public_id):
    """Inside the import's first write: this staff member's upload is still there, or NotFound
    (another click imported or discarded it meanwhile)."""
    found = db.session.scalar(
        select(ImportUpload.id).where(
            ImportUpload.public_id == public_id, ImportUpload.staff_id == staff_id
        )
    )
    if found is None:
        raise NotFound()


def discard_upload_id(public_id):
    """Delete an upload after its import (nothing when another click already did)."""
    db.session.execute(delete(ImportUpload).where(ImportUpload.public_id == public_id))


@retention_task("import_uploads")
def purge_expired_uploads(now, dry_run):
    """Delete uploads nobody imported within the hour."""
    expired = ImportUpload.expires_at <= now
    count = db.session.scalar(select(db.func.count(ImportUpload.id)).where(expired))
    if not dry_run and count:
        db.session.execute(delete(ImportUpload).where(expired))
    return count


register_encrypted(ImportUpload, TABLE, {"content_enc": "content"})
