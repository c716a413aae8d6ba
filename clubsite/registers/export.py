"""CSV exports of the registers, e.g. for the Data State Inspectorate. Every cell goes through
safe_cell, so a spreadsheet never runs a value as a formula; every export is audited."""

import csv
import io

from flask_babel import lazy_gettext as _l

from clubsite.csvsafe import safe_cell
from clubsite.domain import as_actor
from clubsite.i18n import format_datetime
from clubsite.privacy import audit
from clubsite.registers import breaches, complaints, service


def _yes(value):
    return _l("yes") if value else _l("no")


def _request_row(entry):
    return [
        entry.public_id,
        entry.kind,
        entry.member_public_id,
        format_datetime(entry.received_at),
        format_datetime(entry.due_at),
        entry.status,
        _yes(service.is_overdue(entry)),
        entry.source,
        service.read_text(entry, "details"),
        service.read_text(entry, "outcome"),
        entry.refusal_ground or "",
        entry.extended_months,
        service.read_text(entry, "extension_reason"),
        format_datetime(entry.closed_at),
    ]


def _breach_row(entry):
    clock = breaches.countdown(entry)
    return [
        entry.public_id,
        format_datetime(entry.detected_at),
        format_datetime(entry.recorded_at),
        format_datetime(clock.deadline),
        format_datetime(entry.authority_notified_at),
        _yes(clock.overdue),
        entry.risk,
        " ".join(entry.category_list),
        entry.people_count,
        _yes(entry.people_informed),
        format_datetime(entry.people_informed_at),
        entry.status,
        service.read_text(entry, "description"),
        service.read_text(entry, "measures"),
        format_datetime(entry.closed_at),
    ]


def _complaint_row(entry):
    return [
        entry.public_id,
        format_datetime(entry.received_at),
        format_datetime(complaints.reply_due(entry)),
        entry.channel,
        entry.member_public_id,
        entry.status,
        service.read_text(entry, "summary"),
        service.read_text(entry, "outcome"),
        format_datetime(entry.closed_at),
    ]


EXPORTS = {
    "requests": (
        (
            _l("Id"),
            _l("Type"),
            _l("Member id"),
            _l("Received"),
            _l("Due"),
            _l("Status"),
            _l("Overdue"),
            _l("Received by"),
            _l("Details"),
            _l("What was done"),
            _l("Why the erasure is refused"),
            _l("Deadline extended (months)"),
            _l("Reasons for the later deadline"),
            _l("Closed"),
        ),
        lambda: service.list_requests(),
        _request_row,
        ["details", "outcome", "extension_reason"],
    ),
    "breaches": (
        (
            _l("Id"),
            _l("Detected"),
            _l("Recorded"),
            _l("Notify the authority by"),
            _l("Authority notified"),
            _l("Notified late or overdue"),
            _l("Risk"),
            _l("Data categories"),
            _l("Approximate number of people"),
            _l("People informed"),
            _l("People informed at"),
            _l("Status"),
            _l("What happened"),
            _l("Measures taken"),
            _l("Closed"),
        ),
        lambda: breaches.list_breaches(),
        _breach_row,
        ["description", "measures"],
    ),
    "complaints": (
        (
            _l("Id"),
            _l("Received"),
            _l("Reply due"),
            _l("Channel"),
            _l("Member id"),
            _l("Status"),
            _l("Summary"),
            _l("Outcome"),
            _l("Closed"),
        ),
        lambda: complaints.list_complaints(),
        _complaint_row,
        ["summary", "outcome"],
    ),
}


def export_csv(kind, *, actor=None):
    """The whole register as CSV text (formula-safe), with the export audited."""
    header, entries, row, fields = EXPORTS[kind]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(str(label)) for label in header])
    count = 0
    for entry in entries():
        writer.writerow([safe_cell(value) for value in row(entry)])
        count += 1
    audit.record(
        "register.exported", fields=fields, detail=f"{kind} rows={count}", actor=as_actor(actor)
    )
    return buffer.getvalue()
