"""The printable member card at the desk (credit-card size, clubsite/static/css/cards.css)."""

from flask import abort, render_template, url_for
from flask_login import current_user

from clubsite.access.card import staff_card
from clubsite.members.service import member_by_public_id
from clubsite.privacy import access
from clubsite.web import office
from clubsite.web.guard import requires


@office.route("/members/<public_id>/card")
@requires("members.view")
def member_card(public_id):
    """The member's card to print: first name, number and QR (roles covering the access
    purpose only; the read is audited)."""
    member = member_by_public_id(public_id)
    if member is None or not access.may(current_user, "view", member):
        abort(404)  # as on the member's page: who exists stays hidden
    card = staff_card(current_user, member)
    return render_template(
        "cards/print_page.html",
        layout="backoffice/base.html",
        card=card,
        back_url=url_for("backoffice.member_detail", public_id=public_id),
    )
