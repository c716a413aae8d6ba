"""Subject access export: everything about the member, by purpose, and nothing of anyone else."""

import csv
import io
import json

from clubsite.privacy import subject_access
from clubsite.privacy.ropa import as_text
from tests.privacy.factories import JANIS, LIGA, enrol


def test_export_contains_everything_and_nothing_of_anyone_else(app):
    """All fields, purposes with basis and retention, the consent ledger; no other member."""
    member = enrol(JANIS, ["access", "fees", "newsletter"])
    enrol(LIGA, ["bookings", "newsletter"])
    export = subject_access.gather(member, language="en")
    assert export["member_id"] == member.public_id
    assert export["data"]["email"] == "janis.berzins@example.lv"
    assert {p["purpose"] for p in export["purposes"]} == {"access", "fees", "newsletter"}
    fees = next(p for p in export["purposes"] if p["purpose"] == "fees")
    assert "Contract" in fees["legal_basis"] and "5 years" in fees["retention"]
    assert [e["event"] for e in export["consent_events"]] == ["given", "confirmed"]
    text = subject_access.as_json(export)
    assert json.loads(text)["member_id"] == member.public_id
    for other in ("Līga", "Ozoliņa", "liga.ozolina"):
        assert other not in text
        assert other not in subject_access.as_csv(export)


def test_csv_export_is_spreadsheet_safe(app):
    """A value starting with = is prefixed so a spreadsheet does not run it."""
    member = enrol({"email": "x@example.lv", "first_name": "Anna"}, ["newsletter"])
    export = subject_access.gather(member)
    export["data"]["first_name"] = "=HYPERLINK(1)"
    text = subject_access.as_csv(export).removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert ["data", "", "first_name", "'=HYPERLINK(1)"] in rows


def test_ropa_lists_every_purpose(app, runner):
    """The record of processing activities comes from the registry, in Latvian and English."""
    english = as_text("en")
    for name in ("Club access", "Fee administration", "News and offers", "Hall bookings"):
        assert name in english
    result = runner.invoke(args=["privacy", "ropa", "--language", "en"])
    assert result.exit_code == 0 and "Legal basis" in result.output
