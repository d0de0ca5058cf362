"""The gate that keeps the German complete: every string the code marks for translation is in the
committed catalogue, translated and not fuzzy; the committed .mo files say the same as the .po files;
``msgfmt --check`` passes.

Extracting strings needs GNU gettext (``xgettext``, Debian's ``gettext`` package), as Django's
``makemessages`` does. Without it the two tests that need it skip with the reason, unless
``REQUIRE_GETTEXT=1`` (set by ``.ci/run``), where a missing gettext fails the run. The other checks are
pure Python (polib) and run everywhere.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import django
import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

BASE_DIR = Path(settings.BASE_DIR)
LOCALE = BASE_DIR / "locale"
DOMAINS = ["django", "djangojs"]
# Not shown to anyone: tests, benchmarks, tooling, the vendored Bootstrap.
NOT_SCANNED = {
    ".git",
    ".venv",
    "var",
    "tests",
    "bench",
    "locale",
    "locale_overrides",
    "node_modules",
    "test-artifacts",
}
NOT_SCANNED |= {"vendor"}
OVERRIDES = BASE_DIR / "locale_overrides" / "de" / "LC_MESSAGES" / "django.po"
# The polite form. One form of address on every page: the register says "du" (locale/README.md).
SIE = re.compile(r"\b(Sie|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres|Ihnen)\b")


def _catalogue(language: str, domain: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{domain}.po"


def _key(entry: polib.POEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def _require_gettext(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        reason = f"GNU gettext's {tool} is missing (Debian: apt-get install gettext)"
        if os.environ.get("REQUIRE_GETTEXT") == "1":
            pytest.fail(f"REQUIRE_GETTEXT=1 but {reason}")
        pytest.skip(reason)
    return path


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def _untranslated(po: polib.POFile | list[polib.POEntry]) -> list[str]:
    def translated(entry: polib.POEntry) -> bool:
        if entry.msgid_plural:
            return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
        return bool(entry.msgstr)

    return [e.msgid for e in po if not e.obsolete and ("fuzzy" in e.flags or not translated(e))]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, polib.POFile]:
    """The catalogues ``makemessages`` writes for the code as it is now, in a copy of the project (so
    that nothing in the working tree is touched)."""
    _require_gettext("xgettext")
    source = tmp_path_factory.mktemp("catalogue") / "src"
    shutil.copytree(BASE_DIR, source, ignore=lambda _dir, names: [n for n in names if n in NOT_SCANNED])
    (source / "locale").mkdir()
    cwd = Path.cwd()
    os.chdir(source)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(settings, "LOCALE_PATHS", [source / "locale"])
            for domain in DOMAINS:
                call_command("makemessages", locale=["de"], domain=domain, verbosity=0, no_location=True)
    finally:
        os.chdir(cwd)
    return {domain: polib.pofile(str(source / "locale" / "de" / "LC_MESSAGES" / f"{domain}.po")) for domain in DOMAINS}


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_string_in_the_code_is_in_the_german_catalogue(extracted, domain):
    committed = {_key(entry) for entry in polib.pofile(str(_catalogue("de", domain))) if not entry.obsolete}

    missing = sorted(msgid for ctx, msgid in (_key(e) for e in extracted[domain]) if (ctx, msgid) not in committed)

    assert missing == [], "Run makemessages and translate (README, Translations): " + repr(missing)


@pytest.mark.parametrize("language", _languages())
@pytest.mark.parametrize("domain", DOMAINS)
def test_catalogue_is_fully_translated(language, domain):
    po = polib.pofile(str(_catalogue(language, domain)))

    assert _untranslated(po) == []
    assert not po.metadata_is_fuzzy


@pytest.mark.parametrize("language", _languages())
@pytest.mark.parametrize("domain", DOMAINS)
def test_committed_mo_says_what_the_po_says(language, domain):
    po = _catalogue(language, domain)
    expected = {_key(e): (e.msgstr, e.msgstr_plural) for e in polib.pofile(str(po)) if not e.obsolete}

    compiled = {_key(e): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(po.with_suffix(".mo"))) if e.msgid}

    assert compiled == expected, "Compile the catalogue: manage.py compilemessages (README, Translations)"


@pytest.mark.parametrize("language", _languages())
@pytest.mark.parametrize("domain", DOMAINS)
def test_msgfmt_check_passes(language, domain, tmp_path):
    msgfmt = _require_gettext("msgfmt")

    result = subprocess.run(
        [msgfmt, "--check", "-o", str(tmp_path / "out.mo"), str(_catalogue(language, domain))],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr


def _says_sie(entry: polib.POEntry) -> bool:
    return any(SIE.search(text) for text in [entry.msgstr, *entry.msgstr_plural.values()])


def _library_catalogues() -> list[Path]:
    """The German catalogues of Django and of every installed app that is not ours."""
    paths = [Path(django.__file__).parent / "conf" / "locale" / "de" / "LC_MESSAGES" / "django.po"]
    for app in apps.get_app_configs():
        if not Path(app.path).is_relative_to(BASE_DIR):
            paths.append(Path(app.path) / "locale" / "de" / "LC_MESSAGES" / "django.po")
    return [path for path in paths if path.exists()]


def test_library_strings_in_german_say_du_like_ours_and_none_is_left_in_english():
    ours = {e.msgid for path in (_catalogue("de", "django"), OVERRIDES) for e in polib.pofile(str(path))}
    library = [e for path in _library_catalogues() for e in polib.pofile(str(path)) if not e.obsolete]

    sie = sorted({e.msgid for e in library if _says_sie(e)} - ours)
    english = sorted(set(_untranslated(library)) - ours)

    assert sie == [], "Rewrite these with du in locale_overrides (locale/README.md): " + repr(sie)
    assert english == [], "Translate these in locale_overrides (locale/README.md): " + repr(english)


def test_our_catalogues_never_say_sie():
    entries = [
        e
        for path in (_catalogue("de", "django"), _catalogue("de", "djangojs"), OVERRIDES)
        for e in polib.pofile(str(path))
    ]

    assert [e.msgid for e in entries if _says_sie(e)] == []


def test_overrides_are_translated_and_compiled():
    po = polib.pofile(str(OVERRIDES))
    compiled = {
        _key(e): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(OVERRIDES.with_suffix(".mo"))) if e.msgid
    }

    assert _untranslated(po) == []
    assert compiled == {_key(e): (e.msgstr, e.msgstr_plural) for e in po}
