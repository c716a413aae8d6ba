"""The privacy notice (GDPR Art. 13), generated from the purpose registry."""

from flask import render_template

from clubsite.privacy.purposes import FIELDS, LEGAL_BASES, PURPOSES
from clubsite.public import bp


@bp.route("/privatums")
def privacy_notice():
    """Who we are, what we keep for which purpose, on what basis, for how long, and your rights."""
    return render_template(
        "public/privacy_notice.html", purposes=PURPOSES.values(), fields=FIELDS, bases=LEGAL_BASES
    )
