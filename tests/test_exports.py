"""Staff exports leave as AES-256 encrypted ZIP archives by default: the passphrase is shown once,
the archive is fetched once through a random link, and a plain file comes only after a warning.
Each export is audited with its form."""

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.retention import run_retention
from clubsite.web.exports import PreparedExport
from tests.conftest import csrf_token
from tests.privacy.factories import JANIS, enrol
from tests.support.exports import encrypted_export, plain_export, unzip


@pytest.fixture
def janis(app):
    return enrol(JANIS, ["access", "fees"])


def _cases(janis):
    """(role, export URL, name inside the archive starts with, text the file holds)."""
    day = utcnow().date().isoformat()
    return [
        ("admin", f"/office/members/{janis.public_id}/export.csv", "member-", JANIS["email"]),
        ("admin", f"/office/members/{janis.public_id}/export.json", "member-", JANIS["email"]),
        ("admin", "/office/registers/requests/export.csv", "requests-", "Klienta ID"),
        (
            "accountant",
            f"/office/fees/export?kind=invoices&from={day}&to={day}",
            "invoices-",
            "number",
        ),
    ]


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.mark.parametrize("case", range(4))
def test_encrypted_is_the_default_and_opens_only_with_the_passphrase(client_for, janis, case):
    """The page offers the archive first; it decrypts with the passphrase and not without."""
    role, url, prefix, expected = _cases(janis)[case]
    client = client_for(role)
    choice = client.get(url)
    page = choice.get_data(as_text=True)
    assert choice.status_code == 200 and choice.mimetype == "text/html"
    assert 'value="encrypted" checked' in page or 'checked id="protection-0"' in page
    passphrase, link, shown = encrypted_export(client, url)
    assert shown.status_code == 200 and passphrase and link
    assert shown.headers["Cache-Control"] == "no-store"
    assert JANIS["email"] not in link and janis.public_id not in link  # no data in the URL
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = response.get_data()
    assert expected.encode() not in archive  # nothing readable in the file as it travels
    name, content = unzip(archive, passphrase)
    assert name.startswith(prefix) and expected in content.decode("utf-8")
    with pytest.raises(RuntimeError):
        unzip(archive, None)
    with pytest.raises(RuntimeError):
        unzip(archive, "wrong-pass-phrase")
    with (
        pytest.raises((RuntimeError, NotImplementedError)),
        zipfile.ZipFile(io.BytesIO(archive)) as plain_zip,
    ):
        plain_zip.read(name)
    # The passphrase is nowhere on the server: not in the stored archive, not in the audit.
    assert db.session.scalar(select(func.count()).select_from(PreparedExport)) == 0
    assert passphrase not in " ".join(e.detail for e in db.session.scalars(select(AuditEvent)))
    kind = _events("export.prepared")[-1].detail
    assert kind.endswith(":encrypted")
    assert [e.detail for e in _events("export.downloaded")] == [kind.rsplit(":", 1)[0]]


def test_the_link_works_once_and_only_for_its_staff_member(client_for, janis):
    """A second download, or another admin with the same link, gets 404."""
    url = f"/office/members/{janis.public_id}/export.csv"
    owner, other = client_for("admin"), client_for("admin")
    passphrase, link, _page = encrypted_export(owner, url)
    assert other.get(link).status_code == 404
    assert owner.get(link).status_code == 200
    assert owner.get(link).status_code == 404
    assert passphrase


def test_an_expired_link_gives_nothing_and_retention_deletes_the_archive(client_for, janis, app):
    """After EXPIRES the archive is gone for good."""
    client = client_for("admin")
    _passphrase, link, _page = encrypted_export(
        client, f"/office/members/{janis.public_id}/export.csv"
    )
    past = utcnow() - timedelta(minutes=1)
    db.session.execute(update(PreparedExport).values(expires_at=past))
    db.session.commit()
    assert client.get(link).status_code == 404
    run_retention(now=utcnow())
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(PreparedExport)) == 0


def test_plain_file_only_after_the_warning(client_for, janis):
    """Plain without the box ticked: the page again, with the reason; with it: the file."""
    client = client_for("admin")
    url = f"/office/members/{janis.public_id}/export.csv"
    token = csrf_token(client, url)
    refused = client.post(url, data={"csrf_token": token, "protection": "plain"})
    assert refused.status_code == 200 and refused.mimetype == "text/html"
    assert JANIS["email"] not in refused.get_data(as_text=True)
    assert _events("member.exported") == [] and _events("export.prepared") == []
    response = plain_export(client, url)
    assert response.mimetype == "text/csv" and JANIS["email"] in response.get_data(as_text=True)
    assert [e.detail for e in _events("export.prepared")] == ["member:plain"]
    assert len(_events("member.exported")) == 1


def test_the_choice_page_itself_exports_nothing(client_for, janis):
    """Opening the page (a GET, a prefetch) neither makes the file nor audits an export."""
    client = client_for("admin")
    client.get(f"/office/members/{janis.public_id}/export.csv")
    assert _events("member.exported") == []
    assert db.session.scalar(select(func.count()).select_from(PreparedExport)) == 0


def test_roles_without_the_export_permission_cannot_prepare(client_for, janis):
    """Reception may not export a member, by GET or POST."""
    client = client_for("reception")
    url = f"/office/members/{janis.public_id}/export.csv"
    assert client.get(url).status_code == 403
    token = csrf_token(client, "/office/")
    assert client.post(url, data={"csrf_token": token, "protection": "plain"}).status_code == 403
