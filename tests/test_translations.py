"""The French and Portuguese catalogues are complete, and every translation keeps the
placeholders of its English text (a missing or misspelt %(name)s would break the page)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "translations"


def catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


def template_ids(path: Path = TRANSLATIONS / "messages.pot") -> set:
    with open(path, "rb") as pot:
        return {message.id if isinstance(message.id, str) else message.id[0]
                for message in read_po(pot) if message.id}


def test_the_template_holds_every_string_of_the_code(tmp_path):
    """The same extraction as `make messages`: a new or changed string must be extracted."""
    fresh = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-o", str(fresh), "--no-location", "--sort-output", "."],
                   cwd=ROOT, check=True, capture_output=True)
    assert template_ids(fresh) == template_ids()   # run `make messages` and translate


@pytest.mark.parametrize("language", ["fr", "pt"])
def test_every_message_is_translated_and_keeps_its_placeholders(language):
    messages = [message for message in catalogue(language) if message.id]
    untranslated = [message.id for message in messages
                    if not message.string or (isinstance(message.string, tuple)
                                              and not all(message.string))]
    assert untranslated == []
    assert [message.id for message in messages if message.fuzzy] == []
    problems = [(message.id, [str(error) for error in errors])
                for message, errors in catalogue(language).check() if errors]
    assert problems == []


@pytest.mark.parametrize("language", ["en", "fr", "pt"])
def test_catalogues_follow_the_extracted_template(language):
    ids = {message.id if isinstance(message.id, str) else message.id[0]
           for message in catalogue(language) if message.id}
    assert ids == template_ids()   # run `make messages` after changing strings
