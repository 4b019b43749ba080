"""The vocabulary (``vocabulary/``) is the one home of the words the stages share: the fetch
roles, our ``request.meta`` keys, the title rules and the CJK test. These checks fail when a
copy grows back somewhere else."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import ROOT
from vocabulary import ENTRY_PAGE_ROLES, FETCH_ROLES, FILE_ROLES, PAGE_ROLES, Meta, Role

PACKAGES = ("crawler", "parsers", "archive", "nianbao")
META_KEYS = {value for name, value in vars(Meta).items() if name.isupper()}
# A meta access that spells one of our keys: meta["role"], meta.get('paged'), meta.pop("…" …
_KEYS = "|".join(sorted(META_KEYS))
_META_LITERAL = re.compile(rf"""\bmeta(?:\.get|\.pop|\.setdefault)?\s*[\[(]\s*["']({_KEYS})["']""")
# Definitions that belong to the vocabulary only.
_COPIES = re.compile(
    r"^(?:PAGE_ROLES\s*=|ATTACHMENT_ROLES\s*=|def _?is_cjk\(|def normalize\(|_CJK\s*=)", re.M
)
# The search index's word characters (what it cuts into bigrams: ideographs, kana, hangul, no
# punctuation) are another set, and changing them would change every index: not a copy.
_NOT_COPIES = {"archive/fts.py"}


def _sources(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def test_roles_and_their_subsets() -> None:
    assert len(set(FETCH_ROLES)) == len(FETCH_ROLES) == len([n for n in vars(Role) if n.isupper()])
    assert set(PAGE_ROLES) <= set(FETCH_ROLES) and set(FILE_ROLES) <= set(FETCH_ROLES)
    assert set(ENTRY_PAGE_ROLES) <= set(PAGE_ROLES) and not set(PAGE_ROLES) & set(FILE_ROLES)


def test_meta_keys_are_distinct() -> None:
    names = [name for name in vars(Meta) if name.isupper()]
    assert len(META_KEYS) == len(names)


def test_the_crawler_names_our_meta_keys_through_the_vocabulary() -> None:
    spelled = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in _sources("crawler")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if (m := _META_LITERAL.search(line)) and "``" not in line[: m.start()]  # prose in ``…`` is fine
    ]
    assert spelled == []


def test_no_package_keeps_its_own_copy_of_a_shared_word() -> None:
    copies = [
        f"{path.relative_to(ROOT)}: {m.group(0)}"
        for path in _sources(*PACKAGES)
        if path.relative_to(ROOT).as_posix() not in _NOT_COPIES
        for m in _COPIES.finditer(path.read_text(encoding="utf-8"))
    ]
    assert copies == []
