"""Chinese is the default language: every string the pages show has a Chinese translation."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def _source_msgids() -> set[str]:
    found = set()
    for directory in ("web",):
        for _file, _line, message, _comments, _context in extract_from_dir(
                str(ROOT / directory), METHODS, options_map={"**/templates/**.html": {}}):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_interface_string_has_a_chinese_translation():
    with open(ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string}
    in_sources = _source_msgids()
    assert len(in_sources) > 50  # the extraction itself works: the pages have far more strings than that
    untranslated = sorted(in_sources - translated)
    assert not untranslated, f"add these to translations/zh (make translations-update, then translate): {untranslated}"


def test_domain_messages_exist_in_both_languages():
    from services.messages import MESSAGES
    from services.steps import load_all

    load_all()
    for code, (zh, en) in MESSAGES.items():
        assert zh and en and zh != en, code
