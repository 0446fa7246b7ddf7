"""Every message the code and templates mark for translation has its Vietnamese text: the
interface speaks Vietnamese first, and an untranslated message shows English to an HTX."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "registry" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def marked_messages() -> set[str]:
    """The messages `make extract` would write to the catalogue template."""
    method_map, options_map = parse_mapping_cfg((ROOT / "babel.cfg").open())
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return {m for m in found if m}


def test_every_marked_message_has_its_vietnamese_text() -> None:
    with PO.open("rb") as po:
        catalogue = read_po(po)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.string}
    assert marked_messages() - translated == set()
