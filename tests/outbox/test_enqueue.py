"""Writing to the outbox: with the action's transaction, encrypted, covered by key rotation."""

from sqlalchemy import select

from clubsite import outbox
from clubsite.extensions import db
from clubsite.mail import build_message
from clubsite.members.service import erase_members
from clubsite.outbox.models import OutboxMessage
from clubsite.outbox.service import open_message
from clubsite.privacy import keys
from tests.privacy.factories import JANIS, enrol


def _rows():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage)).all()


def test_a_mail_is_stored_encrypted_with_its_recipient(app, write_mail):
    """Neither the address nor the text is readable in the row; both decrypt for the sender."""
    row, address = write_mail(text="Jūsu saite: https://klubs.lv/x")
    [stored] = _rows()
    assert stored.status == "queued" and stored.kind == "test_mail" and stored.attempts == 0
    for blob in (stored.recipient_enc, stored.body_enc):
        assert address.encode() not in blob and b"saite" not in blob
    recipient, data = open_message(app.config["KEY_RING"], stored)
    assert recipient == address
    assert f"To: {address}".encode() in data and "Jūsu saite".encode() in data


def test_a_mail_is_only_sent_if_its_action_commits(app, outbox_app):
    """enqueue adds to the session: a rolled-back action leaves no mail behind."""
    outbox.enqueue(build_message("a@example.lv", "S", "T"), kind="test_mail")
    db.session.rollback()
    assert _rows() == []


def test_erasing_a_member_deletes_the_mail_waiting_for_them(app, outbox_app):
    """A mail tied to a member goes with the member (ON DELETE CASCADE)."""
    member = enrol(JANIS, ["access"])
    outbox.enqueue(build_message(JANIS["email"], "S", "T"), kind="test_mail", member=member)
    outbox.enqueue(build_message("staff@klubs.lv", "S", "T"), kind="staff_invitation")
    db.session.commit()
    assert len(_rows()) == 2
    erase_members([member], actor="system", reason="request")
    db.session.commit()
    assert [row.kind for row in _rows()] == ["staff_invitation"]


def test_key_rotation_reencrypts_the_outbox(app, write_mail):
    """The outbox is registered with the key rotation; after it, the mail still opens."""
    assert any(spec.model is OutboxMessage for spec in keys.REGISTRY)
    _row, address = write_mail()
    new_ring = app.config["KEY_RING"].with_new_active_key()
    assert keys.reencrypt_all(new_ring) >= 2
    [stored] = _rows()
    assert open_message(new_ring, stored)[0] == address
    assert keys.key_usage().get(new_ring.active_id, 0) >= 2
