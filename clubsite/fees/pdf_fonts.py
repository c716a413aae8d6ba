"""The fonts invoice PDFs are set in: Roboto (the font-roboto package, Apache 2.0), cut down.

Roboto has every Latvian letter (ā č ē ģ ī ķ ļ ņ š ū ž and their capitals) and the Latin,
Greek and Cyrillic alphabets besides. Parsing and subsetting its 300 KB files for every PDF
costs about 100 ms, so each process cuts them once into small "tiers" (a tier is a set of
characters: `latin` covers Latvian and the other Latin-script languages of Europe, `wide` adds
Greek and Cyrillic) and keeps the result in instance/fonts/; a document is set in the smallest
tier that holds all of its text, and in the whole font if none does.
"""

import functools
import os
import tempfile
from pathlib import Path

import font_roboto
from flask import current_app
from fontTools import subset
from fontTools.ttLib import TTFont

FAMILY = "Roboto"
# fpdf2 style -> font_roboto's font name. One weight: bold is drawn (clubsite.fees.documents).
STYLES = {"": "Roboto"}
LATVIAN = "ĀāČčĒēĢģĪīĶķĻļŅņŠšŪūŽž"
_PUNCTUATION = [*range(0x2010, 0x2027), 0x2030, 0x2039, 0x203A, 0x20AC, 0x2116, 0x2122]
TIERS = {
    # Basic Latin with the Latvian letters: most documents of a Latvian club.
    "lv": [*range(0x20, 0x7F), *(ord(c) for c in LATVIAN), 0xA0, 0xA7, 0xB7, *_PUNCTUATION],
    # Basic Latin, Latin-1 and Latin Extended-A (every Latvian letter), dashes, quotes, €.
    "latin": [*range(0x20, 0x7F), *range(0xA0, 0x180), *_PUNCTUATION],
    # ... and Latin Extended-B, IPA, Greek, Cyrillic (a member's name may be in any script).
    "wide": [*range(0x20, 0x7F), *range(0xA0, 0x530), *_PUNCTUATION],
}
# Tables no PDF viewer reads: layout (GSUB/GPOS: fpdf2 does no shaping here), hinting, kerning.
_DROP = ["GDEF", "GPOS", "GSUB", "FFTM", "hdmx", "meta", "kern", "DSIG"]


def source_file(style):
    """The installed Roboto file for a style ("" or "B")."""
    return Path(font_roboto.font_files[STYLES[style]])


def tier_for(texts):
    """The smallest tier that holds every character of the texts, or None (the whole font)."""
    wanted = {ord(ch) for text in texts for ch in text if ch not in "\r\n\t"}
    for name in TIERS:
        if wanted <= _codes(name):
            return name
    return None


@functools.cache
def _codes(tier):
    return frozenset(TIERS[tier])


def font_files(tier):
    """{style: path} of the fonts to set a document in, cut to the tier (cut on first use)."""
    if tier is None:
        return {style: source_file(style) for style in STYLES}
    folder = Path(current_app.instance_path) / "fonts"
    return {style: _cut(folder, tier, style) for style in STYLES}


@functools.cache
def _cut(folder, tier, style):
    """The tier's cut of a style in folder; made (and written atomically) if missing."""
    source = source_file(style)
    stamp = f"{source.stat().st_size:x}{int(source.stat().st_mtime):x}"
    path = folder / f"{STYLES[style]}-{tier}-{stamp}.ttf"
    if path.exists():
        return path
    font = TTFont(source)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.glyph_names = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # copyright, names, version: the licence asks
    options.drop_tables += _DROP
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=TIERS[tier])
    subsetter.subset(font)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        font.save(out)
    os.replace(temporary, path)  # several processes may cut at once: the last rename wins
    return path
