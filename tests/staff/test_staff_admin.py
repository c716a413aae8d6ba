"""Staff management by the admin: the last active admin is protected, and who is due for the
data-protection training shows on the staff list and the admin's home page."""

from datetime import timedelta

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.staff import service
from clubsite.staff.models import StaffUser
from tests.conftest import csrf_token


def _english(client):
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})


def test_last_active_admin_cannot_be_deactivated(client_for):
    """Deactivating the only active admin is refused with a clear message; nothing changes."""
    admin = client_for("admin")
    _english(admin)
    user = admin.staff_user
    token = csrf_token(admin, f"/office/staff/{user.public_id}")
    response = admin.post(
        f"/office/staff/{user.public_id}/deactivate",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "This is the last active admin" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.active


def test_last_active_admin_keeps_the_admin_role(client_for):
    """Taking the admin role from the only active admin is refused on the roles form."""
    admin = client_for("admin")
    _english(admin)
    user = admin.staff_user
    url = f"/office/staff/{user.public_id}"
    response = admin.post(url, data={"roles": ["reception"], "csrf_token": csrf_token(admin, url)})
    assert response.status_code == 200
    assert "This is the last active admin" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.role_list == ["admin"]


def test_an_admin_may_go_while_another_active_admin_remains(client_for, make_staff):
    """With a second active admin, deactivation and role changes go through."""
    admin = client_for("admin")
    other = make_staff("admin", email="second-admin@klubs.lv")
    token = csrf_token(admin, f"/office/staff/{other.public_id}")
    admin.post(f"/office/staff/{other.public_id}/deactivate", data={"csrf_token": token})
    db.session.refresh(other)
    assert not other.active
    # The deactivated one no longer counts: the remaining admin is now the last.
    try:
        service.set_roles(admin.staff_user, ["reception"])
    except service.StaffError:
        db.session.rollback()
    else:
        raise AssertionError("the last active admin lost the admin role")
    service.set_active(other, True)
    service.set_roles(admin.staff_user, ["reception"])
    db.session.commit()
    assert db.session.get(StaffUser, admin.staff_user.id).role_list == ["reception"]


def test_staff_list_shows_who_is_due_for_training(client_for, make_staff):
    """Untrained and year-old trainings are listed as due; current ones are not."""
    admin = client_for("admin")
    _english(admin)
    make_staff("reception", email="new@klubs.lv", name="Ieva Jauna", trained=False)
    old = make_staff("accountant", email="old@klubs.lv", name="Pēteris Vecais")
    old.training_passed_at = utcnow() - timedelta(days=400)
    make_staff("marketing", email="fresh@klubs.lv", name="Marta Svaiga")
    db.session.commit()
    page = admin.get("/office/staff").get_data(as_text=True)
    due_table = page.split("Due for data-protection training")[1].split("Invite a staff member")[0]
    assert "Ieva Jauna" in due_table and "Pēteris Vecais" in due_table
    assert "Marta Svaiga" not in due_table
    home = admin.get("/office/").get_data(as_text=True)
    panel = home.split("Staff training due")[1]
    assert "Ieva Jauna" in panel and "Pēteris Vecais" in panel and "Marta Svaiga" not in panel


def test_training_panel_is_for_admins_only(client_for):
    """Other roles do not get the staff training panel."""
    reception = client_for("reception")
    _english(reception)
    page = reception.get("/office/").get_data(as_text=True)
    assert "Staff training due" not in page and "Two-factor sign-in" in page
