"""Direct-debit mandates: given by the member in "My data" with a confirming mail and revoked
there (the IBAN then erased), or recorded by the accountant from a signed form."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.fees import desk, mandates
from clubsite.fees.bank_models import Mandate
from clubsite.fees.models import MembershipPause
from clubsite.i18n import today_local
from clubsite.members.service import erase_member
from clubsite.privacy import fields as store
from clubsite.privacy.subject_access import gather
from tests.conftest import csrf_token
from tests.fees.bank_helpers import lv_iban, set_up_creditor
from tests.fees.helpers import english, make_member, make_plan, sell
from tests.public.helpers import open_my_data
from tests.support.mailbox import text_body

ANNA = {"first_name": "Anna", "last_name": "Kalniņa", "email": "anna.kalnina@example.lv"}


@pytest.fixture
def member(app):
    """A member enrolled for a membership (access and fees), without an IBAN."""
    set_up_creditor(app)
    return make_member(ANNA)


def _spaced(iban):
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _my_data(client, member):
    english(client)
    open_my_data(client, member)
    return client.get("/mani-dati").get_data(as_text=True)


def test_member_gives_a_mandate_and_gets_a_confirming_mail(client, member, mailbox):
    """The IBAN is kept for fees, the mandate is live, the mail names its reference."""
    page = _my_data(client, member)
    assert "Give the mandate" in page
    token = csrf_token(client, "/mani-dati")
    response = client.post(
        "/mani-dati/tiesaistes-debets",
        data={"iban": _spaced(lv_iban(5).lower()), "authorise": "y", "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    mandate = db.session.scalar(select(Mandate))
    assert (mandate.status, mandate.source, mandate.sequence) == ("active", "member", "FRST")
    db.session.refresh(member)
    assert store.read(member, ["iban"])["iban"] == lv_iban(5)
    assert "iban" in member.purpose("fees").field_list
    message = mailbox.wait_for(1)[0]["message"]
    body = text_body(message)
    assert mandate.reference in body and "LV53ZZZ40000000000" in body
    assert lv_iban(5) not in body and lv_iban(5)[-4:] in body  # masked
    assert mandate.reference in client.get("/mani-dati").get_data(as_text=True)


def test_mandate_needs_the_box_ticked_and_a_valid_iban(client, member):
    """Nothing is stored without the authorisation or with a typo in the IBAN."""
    _my_data(client, member)
    token = csrf_token(client, "/mani-dati")
    unticked = client.post(
        "/mani-dati/tiesaistes-debets", data={"iban": lv_iban(5), "csrf_token": token}
    )
    assert "Tick the box to give the mandate." in unticked.get_data(as_text=True)
    typo = lv_iban(5)[:-1] + ("1" if lv_iban(5)[-1] != "1" else "2")
    wrong = client.post(
        "/mani-dati/tiesaistes-debets",
        data={"iban": typo, "authorise": "y", "csrf_token": token},
    )
    assert "check digits do not match" in wrong.get_data(as_text=True)
    assert db.session.scalar(select(Mandate)) is None
    db.session.refresh(member)
    assert not member.has_field("iban")


def test_member_revokes_the_mandate_and_the_iban_is_erased(client, member, mailbox):
    """Revoked at once in "My data"; the IBAN, needed for nothing else, is gone."""
    _my_data(client, member)
    token = csrf_token(client, "/mani-dati")
    client.post(
        "/mani-dati/tiesaistes-debets",
        data={"iban": lv_iban(5), "authorise": "y", "csrf_token": token},
    )
    client.post("/mani-dati/tiesaistes-debets/atsaukt", data={"csrf_token": token})
    mandate = db.session.scalar(select(Mandate))
    db.session.refresh(member)
    assert mandate.status == "revoked" and mandate.revoked_at is not None
    assert not member.has_field("iban") and "iban" not in member.purpose("fees").field_list
    mails = mailbox.wait_for(2)
    subject = mails[1]["message"]["Subject"]  # in the member's language, Latvian
    assert mandate.reference in subject and "atsaukta" in subject


def test_accountant_records_a_signed_mandate(client_for, member):
    """From the paper form: reference, date of signature, first or recurring."""
    accountant = english(client_for("accountant"))
    url = f"/office/fees/members/{member.public_id}/mandate"
    token = csrf_token(accountant, url)
    response = accountant.post(
        url,
        data={
            "iban": lv_iban(9),
            "reference": "PAPIRS-2025/17",
            "signed_on": "2025-05-02",
            "sequence": "RCUR",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    mandate = db.session.scalar(select(Mandate))
    assert (mandate.reference, mandate.sequence, mandate.source) == (
        "PAPIRS-2025/17",
        "RCUR",
        "staff",
    )
    page = accountant.get(url).get_data(as_text=True)
    assert "PAPIRS-2025/17" in page and re.search(r"LV\d\d \*{4}", page)
    again = accountant.post(
        url,
        data={
            "reference": "OTRS",
            "signed_on": "2025-05-02",
            "sequence": "FRST",
            "csrf_token": token,
        },
    )
    assert "already a live mandate" in again.get_data(as_text=True)


def test_erasure_takes_the_mandate_and_pauses_with_the_member(member):
    """Mandates and pauses go with their member; the export lists the mandate until then."""
    staff = Actor.staff("00000000-0000-4000-8000-000000000001")
    today = today_local()
    membership, _invoice = sell(member, make_plan(), today=today)
    mandates.record_mandate(member, iban=lv_iban(3), signed_on=today, actor=staff)
    desk.pause_membership(
        membership,
        member,
        starts_on=today,
        ends_on=today + timedelta(days=6),
        reason="personal",
        actor=staff,
        today=today,
    )
    db.session.commit()
    section = gather(member, language="en")["direct_debit"]
    assert [m["status"] for m in section] == ["active"]
    erase_member(member, actor=staff)
    db.session.commit()
    assert db.session.scalar(select(Mandate)) is None
    assert db.session.scalar(select(MembershipPause)) is None
