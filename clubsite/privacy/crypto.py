"""Field-level encryption (AES-256-GCM) and blind indexes (HMAC-SHA256) for personal data.

Blob layout: version byte (1) | key-id length | key id (ascii) | 12-byte nonce | ciphertext+tag.
The associated data binds a ciphertext to its table, column and row, so a value copied
elsewhere in the database does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

BLOB_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
INDEX_BYTES = 16
_KEY_ID_RE = re.compile(r"[a-z0-9]{1,16}")
_B64_RE = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_SUFFIX_RE = re.compile(r"([0-9]+)$")


class CryptoError(Exception):
    """Base class for all encryption and key-ring errors."""


class MissingKeyError(CryptoError):
    """A blob names a data key that the key ring does not hold."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"data key {key_id!r} is not available")
        self.key_id = key_id


class DecryptionError(CryptoError):
    """A blob is malformed, tampered with, or belongs to another row/column/table."""


class KeyRingFormatError(CryptoError):
    """The key-ring text or an operation on the ring is invalid."""


def _check_key_id(key_id: object) -> str:
    if not isinstance(key_id, str) or not _KEY_ID_RE.fullmatch(key_id):
        # repr() of a bad id is safe to show: ids are labels, never secrets.
        raise KeyRingFormatError(f"key id {key_id!r} must match ^[a-z0-9]{{1,16}}$")
    return key_id


def _check_key_bytes(what: str, value: object) -> bytes:
    if not isinstance(value, bytes) or len(value) != KEY_BYTES:
        size = len(value) if isinstance(value, bytes) else type(value).__name__
        raise KeyRingFormatError(f"{what} must be {KEY_BYTES} bytes (got {size})")
    return value


def _b64decode(what: str, text: object) -> bytes:
    # Strict alphabet check first: the stdlib decoder silently skips stray characters.
    if not isinstance(text, str) or not _B64_RE.fullmatch(text):
        raise KeyRingFormatError(f"{what} is not urlsafe base64 text")
    try:
        # Accept unpadded text too, as produced by secrets.token_urlsafe(32).
        raw = base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise KeyRingFormatError(f"{what} is not urlsafe base64 text") from None
    return _check_key_bytes(what, raw)


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class KeyRing:
    """Data keys (by id), the id new values are encrypted under, and the blind-index key."""

    active_id: str
    data_keys: Mapping[str, bytes] = field(repr=False)
    index_key: bytes = field(repr=False)
    # AESGCM objects built once per key; excluded from eq/repr so the ring stays a value.
    _ciphers: dict[str, AESGCM] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.data_keys, Mapping) or not self.data_keys:
            raise KeyRingFormatError("the key ring must hold at least one data key")
        keys = {
            _check_key_id(kid): _check_key_bytes(f"data key {kid!r}", raw)
            for kid, raw in self.data_keys.items()
        }
        _check_key_id(self.active_id)
        if self.active_id not in keys:
            raise KeyRingFormatError(f"active key {self.active_id!r} is not among the data keys")
        _check_key_bytes("index_key", self.index_key)
        # Read-only copy so nobody mutates a ring that cached ciphers were built from.
        object.__setattr__(self, "data_keys", MappingProxyType(keys))

    def __repr__(self) -> str:
        return f"KeyRing(active_id={self.active_id!r}, key_ids={sorted(self.data_keys)!r})"

    @classmethod
    def generate(cls) -> KeyRing:
        """Return a ring with fresh random keys; the single data key "k1" is active."""
        return cls("k1", {"k1": os.urandom(KEY_BYTES)}, os.urandom(KEY_BYTES))

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        """Parse and strictly validate the CLUBSITE_DATA_KEYS JSON format."""
        try:
            doc = json.loads(text)
        except (TypeError, ValueError):
            # "from None": the decode error carries the whole text (keys) in .doc.
            raise KeyRingFormatError("key ring text is not valid JSON") from None
        if not isinstance(doc, dict):
            raise KeyRingFormatError("key ring JSON must be an object")
        expected = {"active", "keys", "index_key"}
        if set(doc) != expected:
            missing, extra = sorted(expected - set(doc)), sorted(set(doc) - expected)
            raise KeyRingFormatError(
                f"key ring JSON fields wrong: missing {missing}, extra {extra}"
            )
        if not isinstance(doc["keys"], dict):
            raise KeyRingFormatError('"keys" must be an object of key id -> base64 key')
        keys = {
            _check_key_id(kid): _b64decode(f"data key {kid!r}", val)
            for kid, val in doc["keys"].items()
        }
        index_key = _b64decode("index_key", doc["index_key"])
        return cls(_check_key_id(doc["active"]), keys, index_key)

    def to_json(self) -> str:
        """Serialise the ring to the CLUBSITE_DATA_KEYS JSON format."""
        return json.dumps(
            {
                "active": self.active_id,
                "keys": {kid: _b64encode(raw) for kid, raw in self.data_keys.items()},
                "index_key": _b64encode(self.index_key),
            }
        )

    def with_new_active_key(self) -> KeyRing:
        """Return a ring with a new random key k<N+1> made active; old keys are kept."""
        highest = 0
        for kid in self.data_keys:
            match = _SUFFIX_RE.search(kid)
            if match:
                highest = max(highest, int(match.group(1)))
        new_id = _check_key_id(f"k{highest + 1}")
        keys = {**self.data_keys, new_id: os.urandom(KEY_BYTES)}
        return KeyRing(new_id, keys, self.index_key)

    def without_key(self, key_id: str) -> KeyRing:
        """Return a ring without a retired key; the active key cannot be dropped."""
        if key_id == self.active_id:
            raise KeyRingFormatError(f"cannot drop the active key {key_id!r}")
        if key_id not in self.data_keys:
            raise MissingKeyError(key_id)
        keys = {kid: raw for kid, raw in self.data_keys.items() if kid != key_id}
        return KeyRing(self.active_id, keys, self.index_key)

    def cipher(self, key_id: str) -> AESGCM:
        """Return the (cached) AESGCM object for a key id, or raise MissingKeyError."""
        aead = self._ciphers.get(key_id)
        if aead is None:
            raw = self.data_keys.get(key_id)
            if raw is None:
                raise MissingKeyError(key_id)
            aead = self._ciphers[key_id] = AESGCM(raw)
        return aead


def _aad(table: str, column: str, row_id: str) -> bytes:
    return f"clubsite/v1/{table}/{column}/{row_id}".encode()


def _split(blob: bytes) -> tuple[str, int, bytes]:
    """Return (key id, nonce offset, blob as bytes) or raise DecryptionError if malformed."""
    if not isinstance(blob, bytes):
        # Database drivers may hand back memoryview/bytearray for BYTEA/BLOB columns.
        if not isinstance(blob, bytearray | memoryview):
            raise DecryptionError("encrypted field is not bytes")
        blob = bytes(blob)
    if len(blob) < 2 or blob[0] != BLOB_VERSION:
        raise DecryptionError("encrypted field has an unknown format version")
    end = 2 + blob[1]
    key_id = blob[2:end].decode("ascii", errors="replace")
    if not _KEY_ID_RE.fullmatch(key_id) or len(blob) < end + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("encrypted field is truncated or malformed")
    return key_id, end, blob


def key_id_of(blob: bytes) -> str:
    """Return the id of the data key a blob was encrypted under."""
    return _split(blob)[0]


def encrypt_field(ring: KeyRing, plaintext: str, *, table: str, column: str, row_id: str) -> bytes:
    """Encrypt one text value under the ring's active key, bound to table/column/row."""
    key_id = ring.active_id
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.cipher(key_id).encrypt(nonce, plaintext.encode(), _aad(table, column, row_id))
    return bytes((BLOB_VERSION, len(key_id))) + key_id.encode("ascii") + nonce + sealed


def decrypt_field(ring: KeyRing, blob: bytes, *, table: str, column: str, row_id: str) -> str:
    """Decrypt one blob written by encrypt_field for the same table/column/row."""
    key_id, start, blob = _split(blob)
    aead = ring.cipher(key_id)
    nonce = blob[start : start + NONCE_BYTES]
    try:
        data = aead.decrypt(nonce, blob[start + NONCE_BYTES :], _aad(table, column, row_id))
        return data.decode()
    except (InvalidTag, UnicodeDecodeError):
        # Name where it failed, never what it holds.
        raise DecryptionError(
            f"cannot decrypt {table}.{column} (row {row_id}) under key {key_id!r}"
        ) from None


def reencrypt_field(ring: KeyRing, blob: bytes, *, table: str, column: str, row_id: str) -> bytes:
    """Re-encrypt a blob under the active key; a blob already under it is returned unchanged."""
    if key_id_of(blob) == ring.active_id:
        return blob
    plaintext = decrypt_field(ring, blob, table=table, column=column, row_id=row_id)
    return encrypt_field(ring, plaintext, table=table, column=column, row_id=row_id)


def blind_index(ring: KeyRing, kind: str, normalized: str) -> bytes:
    """Return a 16-byte keyed hash of a normalised value, for equality lookups."""
    if not kind or "\x00" in kind:
        # The NUL separates kind from value; one inside kind would make inputs ambiguous.
        raise ValueError("blind index kind must be non-empty and contain no NUL")
    message = f"{kind}\x00{normalized}".encode()
    return hmac.digest(ring.index_key, message, "sha256")[:INDEX_BYTES]
