"""The gate for Chinese: every marked string and every error template has a zh_Hans translation, and the shipped
.mo is the compiled .po. Strings are extracted with xgettext (the tool Django's makemessages runs) into a temporary
folder; both catalogues are read with the standard library's gettext."""

import gettext
import importlib
import pkgutil
import subprocess
from pathlib import Path

import pytest

import kuaifa

SRC = Path(kuaifa.__file__).resolve().parent
PO = SRC / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
KEYWORDS = [
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "_",
    "Text",
    "pgettext:1c,2",
    "ngettext:1,2",
    "ngettext_lazy:1,2",
]


def catalogue(po: Path, tmp: Path) -> dict:
    mo = tmp / (po.stem + ".mo")
    subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True, capture_output=True)
    with mo.open("rb") as handle:
        return gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def chinese(tmp_path_factory) -> dict:
    return catalogue(PO, tmp_path_factory.mktemp("zh"))


def marked_strings(tmp: Path) -> set[str]:
    sources = sorted(str(p) for p in SRC.rglob("*.py") if "migrations" not in p.parts)
    pot = tmp / "kuaifa.pot"
    args = ["xgettext", "-L", "Python", "--from-code=UTF-8", "-k", *(f"-k{k}" for k in KEYWORDS), "-o", str(pot)]
    subprocess.run([*args, *sources], check=True, capture_output=True)
    english = tmp / "en.po"
    subprocess.run(["msgen", str(pot), "-o", str(english)], check=True, capture_output=True)
    return {key if isinstance(key, str) else key[0] for key in catalogue(english, tmp) if key}


def error_templates() -> dict[str, str]:
    import kuaifa.cli.main
    from kuaifa.domain.shared.errors import DomainError

    for module in pkgutil.walk_packages(kuaifa.__path__, "kuaifa."):
        # settings modules are not imported for their messages (production refuses to load without its key)
        if ".migrations" not in module.name and not module.name.endswith("__main__") and ".config." not in module.name:
            importlib.import_module(module.name)
    found, todo = {}, [DomainError]
    while todo:
        cls = todo.pop()
        found[f"{cls.__module__}.{cls.__qualname__}"] = cls.template
        todo.extend(cls.__subclasses__())
    return found


def test_every_marked_string_has_a_chinese_translation(chinese, tmp_path):
    marked = marked_strings(tmp_path)

    missing = sorted(m for m in marked if not chinese.get(m))

    assert len(marked) > 100  # the extraction found the code's strings
    assert missing == []


def test_every_error_template_has_a_chinese_translation(chinese):
    templates = error_templates()

    missing = sorted(f"{where}: {t}" for where, t in templates.items() if not chinese.get(t))

    assert len(templates) > 40
    assert missing == []


def test_the_shipped_catalogue_is_the_compiled_po(chinese):
    with (PO.parent / "django.mo").open("rb") as handle:
        shipped = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]

    assert {k: v for k, v in shipped.items() if k} == {k: v for k, v in chinese.items() if k}


def test_an_untranslated_string_is_caught(tmp_path):
    """The gate itself: a new marked string without a .po entry is reported by name."""
    (tmp_path / "extra.py").write_text(
        'from django.utils.translation import gettext as _\n_("A brand new sentence.")\n'
    )
    pot = tmp_path / "extra.pot"
    args = ["xgettext", "-L", "Python", "-k", *(f"-k{k}" for k in KEYWORDS), "-o", str(pot), str(tmp_path / "extra.py")]
    subprocess.run(args, check=True, capture_output=True)

    assert 'msgid "A brand new sentence."' in pot.read_text()
