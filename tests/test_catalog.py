"""The Latvian catalog is complete: every message the code and templates use has a Latvian
translation, and no translation is a fuzzy guess."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "clubsite/translations/lv/LC_MESSAGES/messages.po"


def _translated(message):
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and "fuzzy" not in message.flags


def test_every_message_in_use_has_a_latvian_translation(tmp_path):
    """Extract the messages afresh (as `make translations-extract` does) and look each one up."""
    template = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"]
        + ["-k", "_l", "-k", "lazy_gettext", "-o", str(template), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as handle:
        used = [m for m in read_po(handle) if m.id]
    with CATALOG.open("rb") as handle:
        latvian = read_po(handle)
    missing = [m.id for m in used if latvian.get(m.id) is None or not _translated(latvian[m.id])]
    assert len(used) > 900
    assert missing == []
