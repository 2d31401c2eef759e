"""Every sentence of the workbench has its Chinese translation: a new string without one fails here."""

import gettext
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "kuaifa"
MO = SRC / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
PATTERN = re.compile(
    r"""\{% translate "([^"]+)" %\}|\{% translate '([^']+)' %\}|\b_\("((?:[^"\\]|\\.)+)"\)"""
    r"""|gettext(?:_lazy|_noop)?\("((?:[^"\\]|\\.)+)"\)"""
)


def workbench_strings() -> set[str]:
    files = [*SRC.glob("web/**/*.html"), *SRC.glob("web/**/*.py"), SRC / "cli" / "web_commands.py"]
    found = set()
    for file in files:
        for match in PATTERN.finditer(file.read_text()):
            found.add(next(group for group in match.groups() if group).replace('\\"', '"'))
    return found


def test_the_scan_finds_the_workbench_strings():
    strings = workbench_strings()
    assert {"Why can't this ship?", "%(h)sh %(m)sm left", "SKU mapping", "Owner / admin"} <= strings
    assert len(strings) > 150


def test_every_workbench_string_has_a_chinese_translation():
    with MO.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    untranslated = sorted(s for s in workbench_strings() if not catalog.get(s) or catalog[s] == s)
    assert untranslated == []
