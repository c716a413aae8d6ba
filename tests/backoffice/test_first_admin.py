"""The one-time link that creates the first admin, and the staff CLI."""

from datetime import timedelta

from sqlalchemy import select, update

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.staff import service
from clubsite.staff.models import SetupToken, StaffUser
from tests.conftest import STAFF_PASSWORD, csrf_token

NEW_PASSWORD = "violet tram under seven bridges"


def _setup_link(runner):
    result = runner.invoke(args=["staff", "setup-link"])
    assert result.exit_code == 0
    return result.output.split("/office/setup/")[1].split()[0]


def _redeem(client, token):
    url = f"/office/setup/{token}"
    data = {
        "csrf_token": csrf_token(client, url),
        "name": "Jānis Ozoliņš",
        "email": "janis@klubs.lv",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    return client.post(url, data=data)


def test_first_admin_link_works_once(client, runner):
    """The printed link creates an admin and logs them in; the same link then fails."""
    token = _setup_link(runner)
    response = _redeem(client, token)
    assert response.status_code == 302
    admin = db.session.scalar(select(StaffUser))
    assert admin.role_list == ["admin"] and admin.email == "janis@klubs.lv"
    assert client.get("/office/").status_code == 200
    again = client.get(f"/office/setup/{token}")
    assert again.status_code == 404 and "nav derīga" in again.get_data(as_text=True)


def test_setup_link_is_printed_only_while_no_staff_exists(runner, make_staff):
    """Once any staff account exists, no setup link is printed."""
    make_staff("admin")
    result = runner.invoke(args=["staff", "setup-link"])
    assert result.exit_code == 0 and "/office/setup/" not in result.output


def test_expired_first_admin_link_is_refused(client, runner):
    """A link older than an hour creates nothing."""
    token = _setup_link(runner)
    db.session.execute(update(SetupToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(f"/office/setup/{token}").status_code == 404
    assert db.session.scalar(select(db.func.count(StaffUser.id))) == 0


def test_first_admin_form_keeps_what_was_typed(client, runner):
    """A weak password is refused; the name and email stay filled in."""
    token = _setup_link(runner)
    url = f"/office/setup/{token}"
    data = {
        "csrf_token": csrf_token(client, url),
        "name": "Jānis Ozoliņš",
        "email": "janis@klubs.lv",
        "password": "password",
        "confirm": "password",
    }
    body = client.post(url, data=data).get_data(as_text=True)
    assert 'value="Jānis Ozoliņš"' in body and 'value="janis@klubs.lv"' in body
    assert db.session.scalar(select(db.func.count(StaffUser.id))) == 0


def test_cli_staff_create_reads_password_from_stdin(runner):
    """`flask staff create EMAIL --role ROLE --password-stdin` makes a working account."""
    result = runner.invoke(
        args=["staff", "create", "vija@klubs.lv", "--role", "accountant", "--password-stdin"],
        input=STAFF_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    user = service.find_by_email("vija@klubs.lv")
    assert user.role_list == ["accountant"]
    assert service.authenticate("vija@klubs.lv", STAFF_PASSWORD) == user


def test_cli_refuses_unknown_role_and_changes_nothing(runner):
    """An unknown role is a clear error and no account is created."""
    result = runner.invoke(
        args=["staff", "create", "x@klubs.lv", "--role", "janitor", "--password-stdin"],
        input=STAFF_PASSWORD + "\n",
    )
    assert result.exit_code != 0
    assert db.session.scalar(select(db.func.count(StaffUser.id))) == 0
