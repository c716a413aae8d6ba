"""Header injection through an encoded word: `=?UTF-8?Q?=0A?=` in a subject decodes to a line
break, which the email package used to write out as it was, starting a header of its own (Bcc).
Subjects are checked in their decoded form; the raw bytes a real SMTP server receives carry one
Subject line and no header the staff member did not mean."""

import email
import email.policy
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy import update as sa_update

from clubsite.extensions import db
from clubsite.mail import build_message, header_safe
from clubsite.newsletter.models import Delivery, Newsletter
from tests.conftest import csrf_token

EVIL = "x =?UTF-8?Q?=0A?=Bcc: evil@x.example"
EVIL_VARIANTS = [
    EVIL,
    "x =?utf-8?b?CkJjYzogZXZpbEB4LmV4YW1wbGU=?=",  # base64 of "\nBcc: evil@x.example"
    "x =?UTF-8?Q?=0D=0A?=Bcc: evil@x.example",
    "x =?UTF-8?Q?=E2=80=A8?=Bcc: evil@x.example",  # U+2028, a line break to splitlines()
    "x =?UTF-8?Q?=00?= nul",
]


def _headers(raw):
    """The header block of a raw message, as lines (CRLF or a bare LF both end a line)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    return re.split(rb"\r\n|\n|\r", head)


def _assert_clean(raw):
    lines = _headers(raw)
    assert not [line for line in lines if line.lower().startswith(b"bcc")], raw[:800]
    assert b"evil@x.example" not in raw.split(b"\r\n\r\n", 1)[0].replace(b"Subject:", b"")
    subjects = [line for line in lines if line.lower().startswith(b"subject:")]
    assert len(subjects) == 1, lines


def _stored_draft(newsletter, subject):
    """A draft whose subject was saved before subjects were checked (bypassing the form)."""
    draft = newsletter()
    draft.subject_lv = subject
    db.session.commit()
    return draft


@pytest.mark.parametrize("subject", EVIL_VARIANTS)
def test_compose_refuses_a_subject_that_decodes_to_a_line_break(client_for, subject):
    """The compose form says so on the subject field, and saves nothing."""
    client = client_for("marketing")
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})
    token = csrf_token(client, "/office/newsletter/new")
    response = client.post(
        "/office/newsletter/new",
        data={"csrf_token": token, "subject_lv": subject, "body_lv": "Sveiki!"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "must not contain a line break or another control character" in page
    assert re.search(r'id="subject_lv"[^>]*aria-invalid="true"|field-error', page)
    assert db.session.scalar(select(func.count()).select_from(Newsletter)) == 0


def test_compose_accepts_a_subject_whose_encoded_word_is_harmless(client_for):
    """An encoded word that decodes to plain text is not refused (nothing is broken)."""
    client = client_for("marketing")
    token = csrf_token(client, "/office/newsletter/new")
    response = client.post(
        "/office/newsletter/new",
        data={"csrf_token": token, "subject_lv": "=?UTF-8?Q?Ziema?= =? 20%", "body_lv": "Sveiki!"},
    )
    assert response.status_code == 302


def test_test_send_of_an_old_draft_sends_no_injected_header(client_for, newsletter, mailbox):
    """A stored draft with the injection: the test mail is refused, nothing reaches the server."""
    draft = _stored_draft(newsletter, EVIL)
    client = client_for("marketing")
    detail = f"/office/newsletter/{draft.public_id}"
    token = csrf_token(client, detail)
    response = client.post(f"{detail}/test", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    mailbox.flush()
    for message in mailbox.messages:
        _assert_clean(message["raw"])
    assert mailbox.messages == []


def test_test_send_raw_bytes_have_one_subject_line(client_for, newsletter, mailbox):
    """The test mail of a good draft arrives with one Subject line and no Bcc."""
    draft = newsletter(lv=("Ziemas jaunumi =?", "Sveiki!"))
    client = client_for("marketing")
    detail = f"/office/newsletter/{draft.public_id}"
    client.post(f"{detail}/test", data={"csrf_token": csrf_token(client, detail)})
    [message] = mailbox.wait_for(1)
    _assert_clean(message["raw"])
    assert message["message"]["Subject"] == "[TEST] Ziemas jaunumi =?"
    assert message["to"] == [client.staff_user.email]


def test_send_refuses_an_old_draft_with_the_injection(client_for, newsletter, subscriber, drain,
                                                      mailbox):  # fmt: skip
    """Send on such a draft is refused with a message; no delivery is queued or mailed."""
    subscriber()
    draft = _stored_draft(newsletter, EVIL)
    client = client_for("marketing")
    detail = f"/office/newsletter/{draft.public_id}"
    token = csrf_token(client, detail)
    response = client.post(f"{detail}/send", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(draft)
    assert draft.status == "draft"
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0
    drain()
    mailbox.flush()
    assert mailbox.messages == []


def test_campaign_raw_bytes_carry_no_injected_header(subscriber, queued, drain, mailbox):
    """A real send through the SMTP server: one Subject line, no Bcc, the subject as typed."""
    subscriber()
    subscriber()
    queued(lv=("=?UTF-8?Q?Ziemas?= jaunumi", "Sveiki!"))
    drain()
    messages = mailbox.wait_for(2)
    for message in messages:
        _assert_clean(message["raw"])
        assert message["message"]["Subject"] == "Ziemas jaunumi"
        assert len(message["to"]) == 1


@pytest.mark.parametrize("subject", EVIL_VARIANTS)
def test_transactional_mail_refuses_the_injection(app, subject):
    """build_message (every transactional mail) refuses it as well."""
    with pytest.raises(ValueError):
        build_message("anna@example.lv", subject, "text")
    with pytest.raises(ValueError):
        header_safe(subject)


def test_transactional_mail_builds_normal_headers(app):
    """Ordinary values pass, and the message parses back with the same subject."""
    message = build_message("anna@example.lv", "Apstipriniet pieteikumu — Klubs", "text")
    raw = message.as_bytes()
    _assert_clean(raw)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "Apstipriniet pieteikumu — Klubs"


def test_a_queued_campaign_whose_stored_subject_turned_unsafe_fails_and_is_not_retried(
    subscriber, queued, drain, mailbox
):
    """A campaign already queued whose stored subject cannot go in a header (written past the
    form): its deliveries fail for good with a reason, nothing is mailed, and the sender goes
    on (no batch failing again on every run)."""
    subscriber()
    subscriber()
    campaign = queued()
    db.session.execute(
        sa_update(Newsletter).where(Newsletter.id == campaign.id).values(subject_lv=EVIL)
    )
    db.session.commit()
    report = drain()
    assert report["failed"] == 2
    rows = db.session.execute(select(Delivery.status, Delivery.last_error)).all()
    assert rows == [("failed", "subject_unusable")] * 2
    drain()
    mailbox.flush()
    assert mailbox.messages == []
