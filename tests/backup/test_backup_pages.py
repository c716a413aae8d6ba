"""The admin's backups page: list, make one now, verify; the home-page warning when they are old."""

import os

import pytest

from clubsite.backup import service
from clubsite.privacy.audit import AuditEvent
from tests.conftest import csrf_token


@pytest.fixture
def admin(client_for):
    """An admin's client, switched to English."""
    client = client_for("admin")
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})
    return client


def test_home_warns_when_there_is_no_recent_backup(app, admin):
    """No backup, then one older than two days: the admin's home page says so; a fresh one not."""
    assert "There is no backup yet." in admin.get("/office/").get_data(as_text=True)
    path = service.create_backup().path
    os.replace(path, path.with_name("clubsite-20200101-030000Z.backup"))  # its time is its name
    page = admin.get("/office/").get_data(as_text=True)
    assert "more than two days ago" in page
    service.create_backup()
    page = admin.get("/office/").get_data(as_text=True)
    assert "Last backup:" in page and "more than two days ago" not in page


def test_make_a_backup_now_from_the_page(app, admin):
    """The button makes a backup, audited with the staff member as actor, and lists it."""
    page = admin.get("/office/backups").get_data(as_text=True)
    assert "No backups yet." in page
    response = admin.post(
        "/office/backups/create",
        data={"csrf_token": csrf_token(admin, "/office/backups")},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    name = service.list_backups()[0].name
    assert f"Backup {name} made." in text
    assert name in text and "backup restore" in text
    event = AuditEvent.query.filter_by(action="backup.created").one()
    assert event.actor_id == admin.staff_user.public_id


def test_verify_reports_an_intact_and_a_damaged_backup(app, admin):
    """Verify decrypts the whole file: an intact one passes, a flipped byte fails."""
    path = service.create_backup().path
    token = csrf_token(admin, "/office/backups")
    ok = admin.post("/office/backups/verify", data={"csrf_token": token, "name": path.name})
    assert ok.status_code == 302
    assert "complete and intact" in admin.get("/office/backups").get_data(as_text=True)
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    admin.post("/office/backups/verify", data={"csrf_token": token, "name": path.name})
    assert "failed its check" in admin.get("/office/backups").get_data(as_text=True)


def test_verify_refuses_paths_outside_the_backup_folder(app, admin):
    """Only backup file names are accepted, never a path."""
    token = csrf_token(admin, "/office/backups")
    response = admin.post(
        "/office/backups/verify", data={"csrf_token": token, "name": "../../etc/passwd"}
    )
    assert response.status_code == 404


def test_page_needs_a_csrf_token_to_make_a_backup(app, admin):
    """A POST without the token changes nothing."""
    response = admin.post("/office/backups/create", data={})
    assert response.status_code == 400
    assert service.list_backups() == []
