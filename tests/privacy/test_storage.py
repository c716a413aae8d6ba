"""What is on disk: no plaintext personal data; ciphertexts bound to their place; key rotation."""

import os
import shutil
import subprocess

import pytest
from sqlalchemy import select, update

from clubsite.extensions import db
from clubsite.privacy import fields
from clubsite.privacy.crypto import DecryptionError, MissingKeyError, decrypt_field, key_id_of
from clubsite.privacy.models import Member
from tests.privacy.factories import JANIS, LIGA, enrol

SECRETS = [
    "Jānis",
    "Bērziņš",
    "janis.berzins",
    "26123456",
    "2612 3456",
    "LV80BANK",
    "Brīvības iela 10",
    "Līga",
    "Ozoliņa",
    "liga.ozolina",
    "29111111",
]


def _raw_bytes(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.commit()
    db.engine.dispose()
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        data = b""
        for suffix in ("", "-wal"):
            if os.path.exists(path + suffix):
                with open(path + suffix, "rb") as handle:
                    data += handle.read()
        return data
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run([pg_dump, plain], capture_output=True, check=True, timeout=120).stdout


def test_database_holds_no_plaintext_personal_data(app):
    """Search the raw SQLite file (or a pg_dump) for every value written: none is there."""
    enrol({**JANIS, "phone": "26123456"}, ["access", "fees", "bookings", "newsletter"])
    enrol(LIGA, ["bookings"])
    raw = _raw_bytes(app)
    assert len(raw) > 1000
    for secret in SECRETS:
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in raw, secret


def test_ciphertext_copied_to_another_row_or_column_fails(app):
    """AES-GCM associated data binds each value to its table, column and row."""
    a = enrol(JANIS, ["access", "fees"])
    b = enrol(LIGA, ["bookings"])
    db.session.execute(
        update(Member).where(Member.id == b.id).values(first_name_enc=a.first_name_enc)
    )
    db.session.execute(
        update(Member).where(Member.id == a.id).values(last_name_enc=a.first_name_enc)
    )
    db.session.commit()
    db.session.expire_all()
    ring = app.config["KEY_RING"]
    moved_b, moved_a = db.session.get(Member, b.id), db.session.get(Member, a.id)
    with pytest.raises(DecryptionError):
        decrypt_field(ring, moved_b.first_name_enc, table="member", column="first_name",
                      row_id=moved_b.public_id)  # fmt: skip
    with pytest.raises(DecryptionError):
        decrypt_field(ring, moved_a.last_name_enc, table="member", column="last_name",
                      row_id=moved_a.public_id)  # fmt: skip
    # The store leaves such a value out (and notes it as damaged) instead of failing the page.
    values = fields.read(moved_b, ["first_name", "last_name"])
    assert "first_name" not in values and fields.damaged_fields(moved_b, ["first_name"], values)


def test_key_rotation_reencrypts_everything_and_retires_the_old_key(app, runner):
    """After `keys rotate` every value decrypts under the new key; then `keys retire k1` works."""
    member = enrol(JANIS, ["access", "fees"])
    assert key_id_of(member.email_enc) == "k1"
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "k1 to k2" in result.output
    db.session.expire_all()
    member = db.session.scalar(select(Member))
    assert key_id_of(member.email_enc) == "k2"
    assert fields.read(member, ["email"])["email"] == "janis.berzins@example.lv"
    assert runner.invoke(args=["keys", "usage"]).output.strip().splitlines() == ["k2: 6"]
    result = runner.invoke(args=["keys", "retire", "k1"])
    assert result.exit_code == 0, result.output
    assert "k1" not in app.config["KEY_RING"].data_keys
    assert fields.read(member, ["first_name"])["first_name"] == "Jānis"


def test_retiring_a_key_still_in_use_is_refused(app, runner):
    """The old key stays while any value needs it."""
    enrol(JANIS, ["access"])
    ring = app.config["KEY_RING"].with_new_active_key()
    from clubsite.privacy.keys import write_key_ring

    write_key_ring(app, ring)
    result = runner.invoke(args=["keys", "retire", "k1"])
    assert result.exit_code != 0 and "still encrypts" in result.output


def test_decrypting_without_the_key_fails_loudly_with_its_id(app):
    """A missing key is named; no garbage is returned."""
    member = enrol(JANIS, ["access"])
    ring = app.config["KEY_RING"]
    app.config["KEY_RING"] = type(ring)(
        active_id="k9", data_keys={"k9": b"\0" * 32}, index_key=ring.index_key
    )
    try:
        with pytest.raises(MissingKeyError, match="k1"):
            decrypt_field(app.config["KEY_RING"], member.first_name_enc, table="member",
                          column="first_name", row_id=member.public_id)  # fmt: skip
        assert fields.read(member, ["first_name"]) == {}  # left out, noted as damaged
    finally:
        app.config["KEY_RING"] = ring


def test_rotation_with_keys_in_the_environment(app, runner, monkeypatch):
    """Keys from CLUBSITE_DATA_KEYS: rotate explains the steps; new + reencrypt do them."""
    from clubsite.privacy.crypto import KeyRing

    member = enrol(JANIS, ["access"])
    monkeypatch.setenv("CLUBSITE_DATA_KEYS", app.config["DATA_KEYS"])
    refused = runner.invoke(args=["keys", "rotate"])
    assert (
        refused.exit_code != 0
        and "keys new" in refused.output
        and "Traceback" not in refused.output
    )
    printed = runner.invoke(args=["keys", "new"]).output
    app.config["KEY_RING"] = KeyRing.from_json(printed)  # what a restart with the new env does
    assert runner.invoke(args=["keys", "reencrypt"]).exit_code == 0
    db.session.expire_all()
    member = db.session.get(Member, member.id)
    assert key_id_of(member.first_name_enc) == "k2"
    assert fields.read(member, ["first_name"]) == {"first_name": "Jānis"}
