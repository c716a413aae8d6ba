"""What people do, through the faces they use: the desk adds someone, the person confirms by the
mailed link, staff end a purpose or erase. Shared by the consent-proof and suppression tests."""

from sqlalchemy import select

from clubsite.extensions import db
from clubsite.newsletter.audience import audience_for
from clubsite.privacy.models import ConsentEvent
from tests.conftest import csrf_token
from tests.public.helpers import links_in, path_of

DESK = "/office/members/new"


def desk_add(staff, purposes, values, *, basis="consent", proof="", language="en"):
    """Add a member at the desk (the real form); returns the response."""
    data = {
        "csrf_token": csrf_token(staff, DESK),
        "purposes": list(purposes),
        "step": "submit",
        "language": language,
        "newsletter_basis": basis,
        "consent_proof": proof,
        **values,
    }
    return staff.post(DESK, data=data)


def confirm_by_mail(client, mailbox, address):
    """The person opens the confirmation mail sent to address and presses the button."""
    mailbox.wait_for(1)
    (message,) = [m["message"] for m in mailbox.to(address)][-1:]
    link = next(path_of(u) for u in links_in(message) if "/apstiprinat/" in u)
    return client.post(link, data={"csrf_token": csrf_token(client, link)})


def staff_erase(admin, member):
    """Erase a member from the back office (the confirmation page's button)."""
    url = f"/office/members/{member.public_id}/erase"
    return admin.post(url, data={"csrf_token": csrf_token(admin, url)})


def staff_end_purpose(admin, member, purpose_id):
    """End one purpose from the back office."""
    url = f"/office/members/{member.public_id}/purposes/{purpose_id}/end"
    return admin.post(url, data={"csrf_token": csrf_token(admin, url)})


def recipients(about_existing_services=False):
    """The addresses a newsletter would go to now."""
    db.session.expire_all()
    audience = audience_for(about_existing_services, addresses=True)
    return sorted(r.email for r in audience.recipients)


def ledger(address_hash):
    """Every ledger row about an address (by its keyed hash), oldest first."""
    db.session.expire_all()
    return db.session.scalars(
        select(ConsentEvent)
        .where(ConsentEvent.address_hash == address_hash)
        .order_by(ConsentEvent.id)
    ).all()
