"""Every UI string has its Chinese translation, and the catalogue is up to date with the code."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _msgids(path: Path) -> set[str]:
    return {entry.msgid for entry in polib.pofile(str(path)) if not entry.obsolete}


def test_the_chinese_catalogue_is_complete():
    catalogue = polib.pofile(str(CATALOGUE))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


def test_the_catalogue_holds_every_string_of_the_code(tmp_path):
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("GNU gettext (xgettext) is needed to check the catalogue")
        pytest.skip("xgettext is not installed here")
    saved = tmp_path / "django.po"
    shutil.copy(CATALOGUE, saved)
    try:
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                "zh_Hans",
                "--no-obsolete",
                "--ignore=node_modules",
                "--ignore=.venv",
                "--ignore=staticfiles",
                "--ignore=tests",
                "--ignore=bench",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=300,
        )
        fresh = _msgids(CATALOGUE)
    finally:
        shutil.copy(saved, CATALOGUE)
    assert fresh - _msgids(saved) == set(), "run `make messages` and translate the new strings"
