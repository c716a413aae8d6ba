"""The home page each role lands on."""

import pytest

from tests.privacy.factories import JANIS, enrol


@pytest.mark.parametrize("role", ["admin", "reception", "accountant"])
def test_untrained_staff_get_the_training_panel_and_no_names(client_for, app, role):
    """Before the training, the home page leads to it and shows no member's data."""
    enrol(JANIS, ["access", "fees", "bookings"])
    body = client_for(role, trained=False).get("/office/").get_data(as_text=True)
    assert "/office/policy" in body
    assert "Jānis" not in body and "Bērziņš" not in body


@pytest.mark.parametrize("role", ["admin", "accountant", "reception", "marketing", "staff"])
def test_every_role_lands_on_a_home_page(client_for, role):
    """Each role gets a home page with at least its account panel."""
    response = client_for(role).get("/office/")
    assert response.status_code == 200
    assert "/office/account/password" in response.get_data(as_text=True)
