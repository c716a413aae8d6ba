"""A permanent refusal (5xx) of a newsletter marks the address: no purpose's mail goes to it,
staff and the member are asked to correct it, and a correction clears it."""

from sqlalchemy import select

from clubsite import outbox
from clubsite.database import utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.mail import build_message
from clubsite.members import service as members
from clubsite.newsletter import service, undeliverable
from clubsite.newsletter.audience import audience_for
from clubsite.newsletter.models import Delivery, UndeliverableAddress
from clubsite.outbox.models import OutboxMessage
from clubsite.privacy import fields
from clubsite.privacy.models import Member
from clubsite.privacy.retention import run_retention
from tests.conftest import csrf_token
from tests.public.helpers import english, open_my_data

REFUSED = "550 5.1.1 No such user"


def _address(member):
    return fields.read(member, ["email"])["email"]


def _bounced(enrol, mailbox, queued, drain, *, purposes=("access", "fees", "newsletter")):
    """A member whose newsletter the server refused for good, and a colleague who got it."""
    member = enrol(list(purposes), first_name="Pēteris", last_name="Bērziņš", tag="bounce")
    other = enrol(["newsletter"], tag="fine")
    mailbox.replies[_address(member)] = [REFUSED]
    campaign = queued()
    drain()
    db.session.expire_all()
    return member, other, campaign


def _mail_to(member, kind):
    """A purpose's mail to the member through the outbox, as its area would queue it."""
    address = _address(member)
    outbox.enqueue(build_message(address, "Rēķins", "Jūsu rēķins."), kind=kind, member=member)
    db.session.commit()


def test_a_5xx_marks_the_address_and_the_outbox_stops_mailing_it(
    app, enrol, mailbox, queued, drain
):
    """The delivery fails once and marks the address; an invoice mail to it is failed, not
    sent; mail to others goes on; the next campaign leaves the address out."""
    member, other, campaign = _bounced(enrol, mailbox, queued, drain)
    delivery = db.session.scalar(select(Delivery).where(Delivery.member_id == member.id))
    assert (delivery.status, delivery.last_error) == ("failed", "smtp_550")
    mark = db.session.get(UndeliverableAddress, member.email_bidx)
    assert mark.member_id == member.id and mark.code == "smtp_550"
    assert mark.newsletter_id == campaign.id and undeliverable.is_marked(member)
    stats = service.statistics(campaign)
    assert (stats["recipients"], stats["sent"], stats["failed"], stats["undeliverable"]) == (
        2, 1, 1, 1,
    )  # fmt: skip

    mailbox.replies.clear()  # whatever the server would say now: we do not try
    _mail_to(member, "invoice")
    _mail_to(other, "invoice")
    mailbox.flush()
    assert mailbox.to(_address(member)) == []
    assert len(mailbox.to(_address(other))) == 2  # the newsletter and the invoice
    rows = db.session.execute(select(OutboxMessage.member_id, OutboxMessage.status,
                                     OutboxMessage.last_error)).all()  # fmt: skip
    assert (member.id, "failed", "undeliverable") in rows and (other.id, "sent", None) in rows

    summary = audience_for(False).summary()
    assert summary["undeliverable"] == 1 and summary["consent"] == 1


def test_a_temporary_refusal_marks_nothing(app, enrol, mailbox, queued, drain):
    """A 4xx is retried later and leaves the address alone."""
    member = enrol(["newsletter"])
    mailbox.replies[_address(member)] = ["451 4.3.0 Try again later", "250 OK"]
    queued()
    drain()
    assert db.session.scalar(select(UndeliverableAddress.address_bidx)) is None
    assert not undeliverable.is_marked(member)


def test_a_link_the_person_asks_for_still_goes_and_my_data_asks_to_correct(
    app, client, enrol, mailbox, queued, drain
):
    """The My data link they asked for reaches them; the page says the address was refused;
    "My data is correct" clears the mark and the notice."""
    member, _other, _campaign = _bounced(enrol, mailbox, queued, drain)
    mailbox.replies.clear()
    english(client)
    client.post(
        "/mani-dati",
        data={"email": _address(member), "csrf_token": csrf_token(client, "/mani-dati"),
              "website": ""},
    )  # fmt: skip
    mailbox.flush()
    assert len(mailbox.to(_address(member))) == 1  # the link they asked for

    open_my_data(client, member)
    page = client.get("/mani-dati").get_data(as_text=True)
    assert 'data-notice="address-refused"' in page
    assert "the receiving mail server refused it" in page
    token = csrf_token(client, "/mani-dati")
    client.post("/mani-dati/pareizi", data={"csrf_token": token})
    db.session.expire_all()
    assert not undeliverable.is_marked(db.session.get(Member, member.id))
    assert 'data-notice="address-refused"' not in client.get("/mani-dati").get_data(as_text=True)


def test_staff_who_correct_addresses_see_the_member_and_a_correction_clears_it(
    app, client_for, enrol, mailbox, queued, drain
):
    """The accountant (who sees the fees address) finds the name on the home page; marketing
    and reception (who see no address of this member) do not. Correcting the address ends the
    mark, mail reaches the new address, and retention forgets the old mark."""
    member, _other, _campaign = _bounced(enrol, mailbox, queued, drain)
    reception, marketing = client_for("accountant"), client_for("marketing")
    english(reception)
    english(marketing)
    home = reception.get("/office/").get_data(as_text=True)
    assert "Addresses that do not receive mail" in home and "Pēteris Bērziņš" in home
    assert _address(member) not in home
    assert "Pēteris" not in marketing.get("/office/").get_data(as_text=True)
    assert "Pēteris" not in client_for("reception").get("/office/").get_data(as_text=True)

    corrected = {"first_name": "Pēteris", "last_name": "Bērziņš"}
    corrected["email"] = "peteris.jauna@example.lv"
    members.update_fields(member, corrected, actor=Actor.system())
    db.session.commit()
    assert not undeliverable.is_marked(member)
    assert "Pēteris Bērziņš" not in reception.get("/office/").get_data(as_text=True)
    mailbox.replies.clear()
    _mail_to(member, "invoice")
    mailbox.flush()
    assert len(mailbox.to("peteris.jauna@example.lv")) == 1

    report = run_retention(now=utcnow(), dry_run=False)
    db.session.commit()
    assert report.tasks["undeliverable_marks"] == 1
    assert db.session.scalar(select(UndeliverableAddress.address_bidx)) is None


def test_staff_may_say_the_address_is_right_and_erasure_takes_the_mark(
    app, client_for, enrol, mailbox, queued, drain
):
    """The panel's button clears the mark; an erased member's mark goes with them."""
    member, other, _campaign = _bounced(enrol, mailbox, queued, drain)
    client = client_for("accountant")
    token = csrf_token(client, "/office/")
    response = client.post(
        f"/office/newsletter/undeliverable/{member.public_id}/clear", data={"csrf_token": token}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert not undeliverable.is_marked(db.session.get(Member, member.id))

    mailbox.replies.clear()
    mailbox.replies[_address(other)] = [REFUSED]
    queued()
    drain()
    assert set(db.session.scalars(select(UndeliverableAddress.member_id))) == {other.id}
    members.erase_member(db.session.get(Member, other.id), actor=Actor.system())
    db.session.commit()
    assert db.session.scalar(select(UndeliverableAddress.member_id)) is None


def test_staff_who_may_not_see_the_address_cannot_clear_it(
    app, client_for, enrol, mailbox, queued, drain
):
    """Reception does not cover a newsletter-only address: the button is refused (403)."""
    member, _other, _campaign = _bounced(enrol, mailbox, queued, drain, purposes=("newsletter",))
    client = client_for("reception")
    assert "Addresses that do not receive mail" not in client.get("/office/").get_data(as_text=True)
    response = client.post(
        f"/office/newsletter/undeliverable/{member.public_id}/clear",
        data={"csrf_token": csrf_token(client, "/office/")},
    )
    assert response.status_code == 403
    assert undeliverable.is_marked(member)
