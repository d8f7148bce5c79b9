"""Every marked string has an English translation; the catalog is in step with the code."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "koppontren" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
METHODS = [("koppontren/**.py", "python"), ("templates/**.html", "jinja2"), ("reports/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}


def _catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def test_every_marked_string_is_in_the_english_catalog():
    catalog = _catalog()
    missing = []
    for _, _, message, _, context in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid and catalog.get(msgid, context=context) is None:
            missing.append(msgid)
    assert missing == [], "run: pybabel extract … && pybabel update … (see README)"


def test_every_english_entry_is_translated_and_not_fuzzy():
    untranslated = [m.id for m in _catalog() if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []


def test_placeholders_survive_translation():
    import re

    for message in _catalog():
        if message.id:
            assert sorted(re.findall(r"%\(\w+\)s", message.id)) == sorted(re.findall(r"%\(\w+\)s", message.string)), message.id
