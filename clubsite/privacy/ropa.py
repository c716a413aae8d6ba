"""The record of processing activities (GDPR Art. 30), generated from the purpose registry: every
entry, data subjects and retention included, comes from a purpose's declaration."""

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from clubsite.privacy.purposes import FIELDS, LEGAL_BASES, PURPOSES
from clubsite.privacy.roles import ROLES

SECURITY_MEASURES = _l(
    "Fields encrypted with AES-256-GCM, keys kept apart from the database; keyed blind indexes "
    "for search; need-to-know access by role, after policy training; audit log chained by hash; "
    "argon2id passwords and server-side sessions; encrypted, verified backups; automatic erasure "
    "when a purpose ends."
)

# The software that does the processing (Art. 30(1)(g) and Art. 32 point to the technical means).
PROCESSING_SYSTEM = _l(
    "clubsite (member database software), run by the controller itself; the database, its "
    "encryption keys and the backups are kept on the controller's own server."
)


def records(language="lv"):
    """One entry per purpose, as plain strings in the given language."""
    cfg = current_app.config
    with force_locale(language):
        controller = ", ".join(
            cfg[key] for key in ("CLUB_NAME", "CLUB_REG_NUMBER", "CLUB_ADDRESS", "CLUB_EMAIL")
        )
        out = []
        for p in PURPOSES.values():
            out.append(
                {
                    "id": p.id,
                    "purpose": f"{p.name}: {p.description}",
                    "controller": controller,
                    "system": str(PROCESSING_SYSTEM),
                    "legal_basis": "; ".join(str(LEGAL_BASES[b]) for b in p.legal_bases),
                    "data_subjects": str(p.data_subjects),
                    "data_categories": ", ".join(str(FIELDS[f].label) for f in p.fields),
                    "staff_access": ", ".join(str(ROLES[r]) for r in p.staff_roles),
                    "recipients": str(p.recipients),
                    "transfers": str(_l("None outside the EU/EEA.")),
                    "retention": str(p.retention),
                    "security": str(SECURITY_MEASURES),
                }
            )
    return out


LABELS = {
    "purpose": _l("Purpose"),
    "controller": _l("Controller"),
    "system": _l("Processing system"),
    "legal_basis": _l("Legal basis"),
    "data_subjects": _l("Data subjects"),
    "data_categories": _l("Personal data"),
    "staff_access": _l("Staff with access"),
    "recipients": _l("Recipients"),
    "transfers": _l("Transfers to third countries"),
    "retention": _l("Retention"),
    "security": _l("Security measures"),
}


def as_text(language="lv"):
    """The record as plain text (for the CLI and for printing)."""
    lines = []
    with force_locale(language):
        for record in records(language):
            lines.append(record["purpose"])
            lines.append("=" * min(len(record["purpose"]), 78))
            for key, label in LABELS.items():
                if key != "purpose":
                    lines.append(f"{label}: {record[key]}")
            lines.append("")
    return "\n".join(lines)
