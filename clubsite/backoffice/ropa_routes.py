"""The record of processing activities (GDPR Art. 30), for the admin."""

from flask import render_template

from clubsite.i18n import current_language
from clubsite.privacy import ropa
from clubsite.web import office
from clubsite.web.guard import requires


@office.route("/ropa")
@requires("ropa.view")
def ropa_page():
    """The record, generated from the purpose registry, in the page's language."""
    return render_template(
        "backoffice/ropa.html", records=ropa.records(current_language()), labels=ropa.LABELS
    )
