"""The back-office pages: compose, preview, test send, Send, progress, pause; counts only."""

import re

from sqlalchemy import select

from clubsite.extensions import db
from clubsite.newsletter.models import Delivery, Newsletter
from clubsite.privacy.audit import AuditEvent
from tests.conftest import csrf_token


def _english(client):
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})


def _compose(client, **extra):
    token = csrf_token(client, "/office/newsletter/new")
    data = {
        "csrf_token": token,
        "subject_lv": "Ziemas jaunumi",
        "body_lv": "Sveiki! **Ziema** klāt.",
        "subject_en": "",
        "body_en": "",
        **extra,
    }
    return client.post("/office/newsletter/new", data=data)


def _campaign():
    return db.session.scalars(select(Newsletter).order_by(Newsletter.id.desc())).first()


def test_marketing_composes_previews_and_sends(client_for, subscriber, mailbox):
    """The whole path through the pages, with counts shown and the test mail to oneself."""
    for _ in range(3):
        subscriber()
    client = client_for("marketing")
    _english(client)
    response = _compose(client)
    assert response.status_code == 302
    campaign = _campaign()
    detail = f"/office/newsletter/{campaign.public_id}"
    page = client.get(detail).get_data(as_text=True)
    assert "If you send it now, 3 members receive this newsletter." in page
    assert "<strong>Ziema</strong>" in page
    subscriber()  # the counts follow the data at once (they are cached only while unchanged)
    page = client.get(detail).get_data(as_text=True)
    assert "If you send it now, 4 members receive this newsletter." in page

    token = csrf_token(client, detail)
    preview = client.post(
        "/office/newsletter/preview", data={"csrf_token": token, "body": "*hi* <script>x</script>"}
    )
    assert preview.get_json() == {"html": "<p><em>hi</em> &lt;script&gt;x&lt;/script&gt;</p>\n"}

    client.post(f"{detail}/test", data={"csrf_token": token})
    own = mailbox.wait_for(1)
    assert own[0]["to"] == [client.staff_user.email]
    assert own[0]["message"]["Subject"] == "[TEST] Ziemas jaunumi"

    response = client.post(f"{detail}/send", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.session.scalar(select(Delivery).limit(1)) is not None
    db.session.refresh(campaign)
    assert campaign.status == "sending" and campaign.recipients_count == 4
    progress = client.get(f"{detail}/progress").get_json()
    assert progress["recipients"] == 4 and progress["remaining"] == 4 and progress["percent"] == 0
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "newsletter.queued"))
    assert audit.fields == "email,first_name" and audit.actor_id == client.staff_user.public_id

    client.post(f"{detail}/pause", data={"csrf_token": token})
    db.session.refresh(campaign)
    assert campaign.status == "paused"
    again = client.post(f"{detail}/send", data={"csrf_token": token}, follow_redirects=True)
    assert "This newsletter has already been sent." in again.get_data(as_text=True)
    assert db.session.query(Delivery).count() == 4


def test_form_errors_keep_what_was_typed(client_for):
    """A subject without text is refused with a message; the typed subject stays."""
    client = client_for("admin")
    _english(client)
    response = _compose(client, body_lv="", subject_en="Only a subject")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Write the text for this subject." in page
    assert 'value="Only a subject"' in page
    assert db.session.scalar(select(Newsletter)) is None


def test_marketing_sees_counts_never_addresses_or_names(client_for, subscriber, soft_member):
    """No page of the module, nor the home panel, shows who is in the audience."""
    people = [subscriber(first_name="Ojārs", email="ojars.secret@example.lv")]
    people.append(soft_member(first_name="Gunta", email="gunta.secret@example.lv"))
    client = client_for("marketing")
    _english(client)
    _compose(client, about_existing_services="y")
    campaign = _campaign()
    detail = f"/office/newsletter/{campaign.public_id}"
    pages = [
        client.get("/office/"),
        client.get("/office/newsletter/"),
        client.get("/office/newsletter/new"),
        client.get(detail),
    ]
    client.post(f"{detail}/send", data={"csrf_token": csrf_token(client, detail)})
    pages += [client.get(detail), client.get(f"{detail}/progress")]
    for page in pages:
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        for secret in ("ojars.secret", "gunta.secret", "Ojārs", "Gunta", "example.lv"):
            assert secret not in text
    home = pages[0].get_data(as_text=True)
    assert re.search(r"With consent</dt><dd>1<", home)
    assert re.search(r"Soft opt-in \(current members\)</dt><dd>1<", home)


def test_empty_audience_cannot_be_sent(client_for):
    """Send with nobody to send to explains itself and changes nothing."""
    client = client_for("marketing")
    _english(client)
    _compose(client)
    campaign = _campaign()
    detail = f"/office/newsletter/{campaign.public_id}"
    page = client.post(
        f"{detail}/send", data={"csrf_token": csrf_token(client, detail)}, follow_redirects=True
    )
    assert "No one may receive this newsletter at the moment." in page.get_data(as_text=True)
    db.session.refresh(campaign)
    assert campaign.status == "draft"


def test_draft_can_be_edited_and_deleted(client_for):
    """Drafts change and go; the edit page of a sent newsletter is not offered."""
    client = client_for("marketing")
    _compose(client)
    campaign = _campaign()
    edit = f"/office/newsletter/{campaign.public_id}/edit"
    token = csrf_token(client, edit)
    client.post(edit, data={"csrf_token": token, "subject_lv": "Jauns", "body_lv": "Teksts"})
    db.session.refresh(campaign)
    assert campaign.subject_lv == "Jauns"
    client.post(f"/office/newsletter/{campaign.public_id}/delete", data={"csrf_token": token})
    assert db.session.scalar(select(Newsletter)) is None


def test_other_roles_are_refused(client_for, newsletter):
    """Reception, accountants and staff never reach the module (the role matrix checks all)."""
    draft = newsletter()
    for role in ("reception", "accountant", "staff"):
        client = client_for(role)
        assert client.get("/office/newsletter/").status_code == 403
        assert client.get(f"/office/newsletter/{draft.public_id}/progress").status_code == 403
