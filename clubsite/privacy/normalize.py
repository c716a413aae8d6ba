"""Normalisation of personal data before it is fed to blind indexes and prefix search.

Everything here is deterministic and key-free: the keyed hashing lives in crypto.blind_index.
"""

from __future__ import annotations

import re
import unicodedata

MIN_PREFIX = 2
MAX_PREFIX = 8

# Letters that NFKD leaves whole (no combining mark to strip), applied after casefold.
_EXTRA_FOLDS = str.maketrans(
    {
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ı": "i",
        "ŧ": "t",
        "ø": "o",
        "ŀ": "l",
        "ŉ": "n",
        "ŋ": "n",
        "ĸ": "k",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_E164_RE = re.compile(r"\+[1-9][0-9]{6,14}")
# Words are runs of letters/digits: spaces, hyphens, apostrophes and full stops all separate,
# so "O'Brien", "O’Brien" and "O Brien" index alike, as do "St. John" and "St John".
_WORD_SPLIT_RE = re.compile(r"[\W_]+")


def _fold_once(value: str) -> str:
    value = unicodedata.normalize("NFKD", value.casefold())
    value = "".join(ch for ch in value if unicodedata.category(ch) not in ("Mn", "Me"))
    return value.translate(_EXTRA_FOLDS)


def fold_text(value: str) -> str:
    """Fold case, diacritics and whitespace: "Jānis  Ozoliņš " -> "janis ozolins"."""
    folded = unicodedata.normalize("NFKD", value)
    # Casefold and NFKD can each expose work for the other (e.g. "ℌ" -> "H"); iterate to a
    # fixed point so that folding is idempotent. Two or three rounds suffice in practice.
    for _ in range(4):
        again = _fold_once(folded)
        if again == folded:
            break
        folded = again
    return " ".join(folded.split())


def normalize_email_for_index(value: str) -> str:
    """Strip and lowercase A-Z only (never Unicode lowering, which maps e.g. K-sign to k)."""
    return value.strip().translate(_ASCII_LOWER)


def normalize_phone_for_index(e164: str) -> str:
    """Return an E.164 number unchanged after checking its shape."""
    if not isinstance(e164, str) or not _E164_RE.fullmatch(e164):
        raise ValueError("phone number is not in E.164 form")
    return e164


def normalize_code_for_index(code: str) -> str:
    """Keep only the ASCII digits of a code (personal code, membership number)."""
    return "".join(ch for ch in code if "0" <= ch <= "9")


def _words(value: str) -> list[str]:
    return [word for word in _WORD_SPLIT_RE.split(fold_text(value)) if word]


def name_prefixes(name: str, *, min_len: int = MIN_PREFIX, max_len: int = MAX_PREFIX) -> list[str]:
    """Return the folded prefixes (min_len..max_len chars) of every word of a name."""
    if not 1 <= min_len <= max_len:
        raise ValueError("need 1 <= min_len <= max_len")
    seen: dict[str, None] = {}  # dict keeps insertion order: stable, deduplicated output
    for word in _words(name):
        for size in range(min_len, min(len(word), max_len) + 1):
            seen.setdefault(word[:size], None)
    return list(seen)


def search_prefix(query: str, *, max_len: int = MAX_PREFIX) -> str | None:
    """Return the folded search prefix of a query's first usable word, or None if too short."""
    # "First usable" rather than first: "O'Brien" folds to "o", "brien" and the lone "o"
    # has no index entry, while "brien" does (name_prefixes splits the same way).
    for word in _words(query):
        if len(word) >= MIN_PREFIX:
            return word[:max_len]
    return None
