"""Per-campaign statistics: recipients, sent, failed, unsubscribed with its link; no tracking."""

import re

from clubsite.extensions import db
from clubsite.newsletter import service
from clubsite.privacy import fields
from tests.conftest import csrf_token

LINK = re.compile(r"<http://localhost(/u/[A-Za-z0-9_.-]+)>")


def test_statistics_count_what_happened_to_one_campaign(
    app, client, client_for, subscriber, queued, drain, mailbox
):
    """Three recipients: one refused for good, one unsubscribes with this campaign's link.
    An unsubscribe from another campaign's link does not count for this one."""
    readers = [subscriber() for _ in range(3)]
    refused = fields.read(readers[0], ["email"])["email"]
    mailbox.replies[refused] = ["550 5.1.1 No such user"]
    campaign = queued()
    drain()
    messages = mailbox.wait_for(2)
    leaving = fields.read(readers[1], ["email"])["email"]
    [mail] = [m for m in messages if m["to"] == [leaving]]
    path = LINK.search(mail["message"]["List-Unsubscribe"]).group(1)
    assert client.post(path).status_code == 200  # one-click (RFC 8058), no cookie needed

    db.session.expire_all()
    stats = service.statistics(campaign)
    assert {k: stats[k] for k in ("recipients", "sent", "failed", "unsubscribed")} == {
        "recipients": 3, "sent": 2, "failed": 1, "unsubscribed": 1,
    }  # fmt: skip
    assert stats["undeliverable"] == 1

    second = queued(lv=("Otrie", "Vēl jaunumi"))
    drain()
    assert service.statistics(second)["unsubscribed"] == 0  # the link was the first one's

    staff = client_for("marketing")
    staff.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(staff, "/")})
    page = staff.get(f"/office/newsletter/{campaign.public_id}").get_data(as_text=True)
    for field, number in (("recipients", 3), ("sent", 2), ("failed", 1), ("unsubscribed", 1)):
        assert f'data-field="{field}">{number}</dd>' in page
    assert 'data-field="undeliverable">1</dd>' in page
    assert "No opens or clicks are tracked" in page
    listing = staff.get("/office/newsletter/").get_data(as_text=True)
    assert listing.count('<td class="num">1</td>') >= 2  # failed and unsubscribed columns
