"""Subject access (GDPR Art. 15) and portability (Art. 20): everything held about one member.

Areas add their sections (invoices, bookings, check-ins) with @subject_access_section,
registered by their init_app.
"""

import csv
import io
import json

from flask_babel import force_locale

from clubsite import hooks
from clubsite.csvsafe import safe_cell
from clubsite.database import as_utc
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.purposes import FIELDS, LEGAL_BASES, PURPOSES


def subject_access_section(name):
    """Mark a function(member) -> plain values (no other member's data) as a section."""
    return hooks.hook("subject_access_section", name)


def _iso(value):
    return as_utc(value).isoformat() if value else None


def gather(member, *, language="lv"):
    """A dict of everything held about the member, by purpose, with basis and retention."""
    with force_locale(language):
        names = [f for f in FIELDS if member.has_field(f)]
        values = store.read(member, names)
        purposes = []
        for enrolment in member.purposes:
            purpose = PURPOSES[enrolment.purpose]
            purposes.append(
                {
                    "purpose": purpose.id,
                    "name": str(purpose.name),
                    "legal_basis": str(LEGAL_BASES[enrolment.legal_basis]),
                    "retention": str(purpose.retention),
                    "since": _iso(enrolment.started_at),
                    "keep_until": _iso(enrolment.keep_until),
                    "source": enrolment.source,
                    "data": {f: values[f] for f in enrolment.field_list if f in values},
                }
            )
        export = {
            "member_id": member.public_id,
            "created_at": _iso(member.created_at),
            "last_verified_at": _iso(member.last_verified_at),
            "language": member.language,
            "data": values,
            "purposes": purposes,
            "consent_events": [
                {
                    "purpose": e.purpose,
                    "event": e.kind,
                    "at": _iso(e.at),
                    "source": e.source,
                    "wording_sha256": e.wording_hash,
                }
                for e in consent.events(member)
            ],
        }
        for entry in hooks.registered("subject_access_section"):
            export[entry.key] = entry.func(member)
    return export


def as_json(export):
    """The export as pretty JSON text."""
    return json.dumps(export, ensure_ascii=False, indent=2)


CENTS = "_cents"


def _amounts(value):
    """Amounts in cents (keys ending in _cents) as the spreadsheet reads them: 1234,50."""
    if isinstance(value, dict):
        return {
            (key[: -len(CENTS)] if _is_cents(key, item) else key): (
                _decimal(item) if _is_cents(key, item) else _amounts(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_amounts(item) for item in value]
    return value


def _is_cents(key, value):
    return key.endswith(CENTS) and isinstance(value, int) and not isinstance(value, bool)


def _decimal(cents):
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100},{cents % 100:02d}"


def as_csv(export):
    """The export flattened to section, key, value rows, as a spreadsheet in a Latvian locale
    reads it: UTF-8 with a byte order mark, semicolons, decimal commas (formula-safe cells)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["section", "item", "field", "value"])
    for key in ("member_id", "created_at", "last_verified_at", "language"):
        writer.writerow(["member", "", key, safe_cell(export[key])])
    for name, value in export["data"].items():
        writer.writerow(["data", "", name, safe_cell(value)])
    for section, rows in export.items():
        if isinstance(rows, list):
            for index, row in enumerate(rows, 1):
                for field, value in _amounts(row).items():
                    if isinstance(value, dict | list):
                        value = json.dumps(value, ensure_ascii=False)
                    writer.writerow([section, index, field, safe_cell(value)])
    return buffer.getvalue()
