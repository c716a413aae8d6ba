"""Field encryption, key rings and blind indexes: no app, no database."""

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clubsite.privacy.crypto import (
    CryptoError,
    DecryptionError,
    KeyRing,
    KeyRingFormatError,
    MissingKeyError,
    blind_index,
    decrypt_field,
    encrypt_field,
    key_id_of,
    reencrypt_field,
)

# Module-level rings: hypothesis re-runs test bodies, and function-scoped fixtures don't reset.
RING = KeyRing.generate()
OTHER_RING = KeyRing.generate()
WHERE = {"table": "members", "column": "email", "row_id": "42"}
LATVIAN = "aābcčdeēfgģhiījkķlļmnņoprsštuūvzž"
identifiers = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _ring_doc(**overrides):
    doc = {"active": "k1", "keys": {"k1": _b64(b"\x01" * 32)}, "index_key": _b64(b"\x02" * 32)}
    doc.update(overrides)
    return json.dumps(doc)


@given(st.text() | st.text(alphabet=LATVIAN + LATVIAN.upper() + " 😀👍🏽"))
def test_round_trip_any_text(plaintext):
    blob = encrypt_field(RING, plaintext, **WHERE)
    assert decrypt_field(RING, blob, **WHERE) == plaintext
    assert key_id_of(blob) == "k1"


def test_round_trip_empty_and_nonces_differ():
    first, second = (encrypt_field(RING, "", **WHERE) for _ in range(2))
    assert first != second  # fresh nonce each time: equal values don't show as equal blobs
    assert decrypt_field(RING, first, **WHERE) == ""


def test_blob_layout():
    blob = encrypt_field(RING, "Jānis", **WHERE)
    assert blob[0] == 1 and blob[1] == 2 and blob[2:4] == b"k1"
    assert len(blob) == 4 + 12 + len("Jānis".encode()) + 16


@given(identifiers, identifiers, identifiers)
def test_blob_bound_to_its_place(table, column, row_id):
    blob = encrypt_field(RING, "Bērziņš private", **WHERE)
    where = {"table": table, "column": column, "row_id": row_id}
    if where == WHERE:
        return
    with pytest.raises(DecryptionError) as caught:
        decrypt_field(RING, blob, **where)
    assert f"{table}.{column}" in str(caught.value)
    assert "Bērziņš" not in str(caught.value)  # identifiers are ASCII: no false alarm


@given(st.text(min_size=1, max_size=20), st.data())
def test_any_flipped_byte_is_refused(plaintext, data):
    blob = bytearray(encrypt_field(RING, plaintext, **WHERE))
    pos = data.draw(st.integers(0, len(blob) - 1), label="pos")
    blob[pos] ^= data.draw(st.integers(1, 255), label="mask")
    # Header bytes (version, id length, id) may turn into another, absent key id.
    expected = (DecryptionError, MissingKeyError) if pos < 4 else DecryptionError
    with pytest.raises(expected):
        decrypt_field(RING, bytes(blob), **WHERE)


@given(st.binary(max_size=64))
def test_garbage_blobs_raise_crypto_errors_only(blob):
    with pytest.raises(CryptoError):
        decrypt_field(RING, blob, **WHERE)


@pytest.mark.parametrize("cut", [0, 1, 2, 3, 4, 15, 16, 31])
def test_truncated_blob(cut):
    blob = encrypt_field(RING, "x", **WHERE)
    with pytest.raises(DecryptionError):
        decrypt_field(RING, blob[:cut], **WHERE)


def test_other_ring_cannot_decrypt():
    blob = encrypt_field(RING, "secret", **WHERE)
    with pytest.raises(DecryptionError) as caught:
        decrypt_field(OTHER_RING, blob, **WHERE)
    assert "members.email" in str(caught.value) and "'k1'" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_memoryview_from_database_driver_is_accepted():
    blob = encrypt_field(RING, "Ozoliņš", **WHERE)
    assert decrypt_field(RING, memoryview(blob), **WHERE) == "Ozoliņš"


@given(st.text(max_size=40))
def test_rotation_reencrypts_under_new_key(plaintext):
    old_blob = encrypt_field(RING, plaintext, **WHERE)
    rotated = RING.with_new_active_key()
    assert rotated.active_id == "k2" and set(rotated.data_keys) == {"k1", "k2"}
    new_blob = reencrypt_field(rotated, old_blob, **WHERE)
    assert key_id_of(new_blob) == "k2"
    assert decrypt_field(rotated, new_blob, **WHERE) == plaintext
    assert reencrypt_field(rotated, new_blob, **WHERE) is new_blob  # already current: unchanged
    retired = rotated.without_key("k1")
    assert decrypt_field(retired, new_blob, **WHERE) == plaintext
    with pytest.raises(MissingKeyError, match="data key 'k1' is not available"):
        decrypt_field(retired, old_blob, **WHERE)


def test_rotation_numbering_and_active_key_protection():
    ring = RING.with_new_active_key().with_new_active_key()
    assert ring.active_id == "k3" and ring.with_new_active_key().active_id == "k4"
    assert ring.without_key("k2").with_new_active_key().active_id == "k4"
    with pytest.raises(KeyRingFormatError, match="active"):
        ring.without_key("k3")
    with pytest.raises(MissingKeyError, match="'k9'"):
        ring.without_key("k9")


def test_json_round_trip_and_secret_free_repr():
    ring = RING.with_new_active_key()
    again = KeyRing.from_json(ring.to_json())
    assert again == ring
    blob = encrypt_field(ring, "Rīga", **WHERE)
    assert decrypt_field(again, blob, **WHERE) == "Rīga"
    for raw in [*ring.data_keys.values(), ring.index_key]:
        assert _b64(raw) not in repr(ring) and str(raw) not in repr(ring)


def test_json_accepts_unpadded_base64():
    text = _ring_doc(keys={"k1": _b64(b"\x01" * 32).rstrip("=")})
    assert KeyRing.from_json(text).data_keys["k1"] == b"\x01" * 32


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("not json", "not valid JSON"),
        ("[]", "must be an object"),
        (_ring_doc(active="k2"), "'k2' is not among"),
        (_ring_doc(keys={}), "at least one"),
        (_ring_doc(keys={"k1": _b64(b"\x01" * 31)}), "32 bytes (got 31)"),
        (_ring_doc(keys={"k1": "!!!not base64!!!"}), "not urlsafe base64"),
        (_ring_doc(keys={"k1": _b64(b"\x01" * 32).replace("A", "+")}), "not urlsafe base64"),
        (_ring_doc(index_key=_b64(b"\x02" * 16)), "index_key must be 32 bytes"),
        (_ring_doc(active="K1", keys={"K1": _b64(b"\x01" * 32)}), "must match"),
        (_ring_doc(keys={"k1": _b64(b"\x01" * 32), "x" * 17: _b64(b"\x03" * 32)}), "must match"),
        (_ring_doc(extra=1), "extra ['extra']"),
        (json.dumps({"active": "k1", "keys": {}}), "missing ['index_key']"),
        (_ring_doc(keys=["k1"]), '"keys" must be an object'),
        (_ring_doc(keys={"k1": 5}), "not urlsafe base64"),
    ],
)
def test_json_validation(text, fragment):
    with pytest.raises(KeyRingFormatError) as caught:
        KeyRing.from_json(text)
    assert fragment in str(caught.value)
    assert _b64(b"\x01" * 32)[:20] not in str(caught.value)  # key material never echoed


def test_key_ring_constructor_validates_and_freezes():
    with pytest.raises(KeyRingFormatError):
        KeyRing("k1", {"k1": b"short"}, b"\x00" * 32)
    ring = KeyRing("k1", {"k1": b"\x01" * 32}, b"\x02" * 32)
    with pytest.raises(TypeError):
        ring.data_keys["k2"] = b"\x03" * 32  # type: ignore[index]


def test_blind_index_is_deterministic_keyed_and_kind_separated():
    first = blind_index(RING, "email", "janis@example.com")
    assert len(first) == 16
    assert first == blind_index(RING, "email", "janis@example.com")
    assert first != blind_index(RING, "phone", "janis@example.com")
    assert first != blind_index(OTHER_RING, "email", "janis@example.com")
    # Rotating data keys must not change blind indexes (the index key stays).
    assert first == blind_index(RING.with_new_active_key(), "email", "janis@example.com")
    with pytest.raises(ValueError):
        blind_index(RING, "a\x00b", "c")


def test_missing_key_message_names_the_id():
    assert str(MissingKeyError("k7")) == "data key 'k7' is not available"
