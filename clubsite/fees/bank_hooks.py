"""How direct debit and bank statements take part in privacy: the statement lines' retention,
the mandates in a member's data export, and the accountant's panel of lines to assign.

Mandates and pauses go with their member (foreign keys cascade on erasure); the IBAN is the
member's own field and is erased with them, or when the mandate is revoked.
"""

from flask_babel import lazy_gettext as _l

from clubsite.fees.mandates import mandates_of
from clubsite.fees.statement_lines import expire_lines, unmatched_count
from clubsite.privacy.retention import retention_task
from clubsite.privacy.subject_access import subject_access_section
from clubsite.web.panels import home_panel


@retention_task("statement_lines")
def expire_statement_lines(now, dry_run):
    """Erase unmatched lines' payer details after their days; lines after the legal period."""
    return expire_lines(now, dry_run)


@subject_access_section("direct_debit")
def mandates_section(member):
    """The member's direct-debit mandates: reference, date of signature and status."""
    return [
        {
            "reference": m.reference,
            "signed_on": m.signed_on.isoformat(),
            "sequence": m.sequence,
            "status": m.status,
            "source": m.source,
        }
        for m in mandates_of(member)
    ]


@home_panel("fees", _l("Bank statement"), "backoffice/panels/statement_lines.html", order=21)
def statement_lines_panel(user):
    """How many statement lines wait to be assigned by hand."""
    return {"count": unmatched_count()}
