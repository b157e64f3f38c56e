"""Every string the pages and the admin translate has its Dutch: the catalogue, extracted afresh
from the source (``makemessages``, as ``make messages`` does), has no empty and no fuzzy entry (a
fuzzy one is not used, so the page would show English)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "locale" / "nl" / "LC_MESSAGES" / "django.po"
SOURCES = ("accounts", "sharing", "energy", "config", "templates", "locale")


def _entries(text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of every live entry; obsolete (``#~``) ones are left out."""
    found = []
    for block in text.split("\n\n"):
        lines = block.splitlines()
        if any(line.startswith("#~") for line in lines) or "msgid_plural" in block:
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        text_of: dict[str, str] = {}
        key = None
        for line in lines:
            match = re.match(r'^(msgid|msgstr) "(.*)"$', line)
            if match:
                key = match.group(1)
                text_of[key] = match.group(2)
            elif key and line.startswith('"'):
                text_of[key] += line[1:-1]
        if text_of.get("msgid"):
            found.append((text_of["msgid"], text_of.get("msgstr", ""), fuzzy))
    return found


def test_every_dutch_entry_is_translated_and_none_is_fuzzy():
    entries = _entries(CATALOGUE.read_text(encoding="utf-8"))
    assert len(entries) > 900
    assert [msgid for msgid, msgstr, _ in entries if not msgstr] == []
    assert [msgid for msgid, _, fuzzy in entries if fuzzy] == []


def test_the_parser_sees_an_untranslated_and_a_fuzzy_entry():
    sample = 'msgid "a"\nmsgstr ""\n\n#, fuzzy\nmsgid "b"\nmsgstr "B"\n\n#~ msgid "c"\n#~ msgstr ""'
    assert _entries(sample) == [("a", "", False), ("b", "B", True)]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext)")
def test_every_string_in_the_source_has_its_dutch(tmp_path):
    """On a copy of the tree, so the committed catalogue is not rewritten."""
    for name in SOURCES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "nl", "--no-location"],
        cwd=tmp_path,
        env={**os.environ, "BENCHMARKS": "false"},  # the copy has no bench/ (nothing to say)
        check=True,
        capture_output=True,
        timeout=300,
    )
    fresh = (tmp_path / "locale" / "nl" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = _entries(fresh)
    assert [msgid for msgid, msgstr, _ in entries if not msgstr] == []
    assert [msgid for msgid, _, fuzzy in entries if fuzzy] == []
