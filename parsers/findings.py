"""What a parsed document says about its file that someone should hear: hostile or empty files
that parsed without an error, each to become a ``problems`` row (or a note).

* ZIP members not read — unsafe paths (``..``, absolute), archives nested past the depth
  limit, bombs, unreadable members — a problem naming each member and why: a ZIP whose only
  member was too deep is not an empty document;
* parser notes (``meta["notes"]``, a JSON list), e.g. a DOCX part declaring XML entities
  (never expanded) — a note, which does not make the exit status 1;
* a paged file (PDF, image) with pages and not one character of text — blank pages, or a scan
  nothing could read — a problem: it is no report "by its title".

>>> import json
>>> from parsers.document import Block, Document
>>> inner = Document("zip", meta={"member_errors": json.dumps([{"member": "c.zip", "error": "nested"}])})
>>> inner.meta["member"] = "b.zip"
>>> [f.message for f in findings(Document("zip", attachments=[inner]))]
['ZIP members not read: b.zip/c.zip (nested)']
>>> findings(Document("pdf", [Block(" ")], page_count=5000))[0].message
'no text in any of its 5000 pages (blank pages, or a scan nothing could read)'
>>> findings(Document("pdf", [Block("共收到申请12件")], page_count=1))
[]
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from parsers.document import Document

PAGED_FORMATS = ("pdf", "image")


@dataclass(frozen=True)
class Finding:
    stage: str  # "parse" (a problem) or "note"
    message: str


def findings(doc: Document) -> list[Finding]:
    found = []
    dropped = list(_dropped_members(doc, ""))
    if dropped:
        found.append(Finding("parse", "ZIP members not read: " + "; ".join(dropped)))
    found += [Finding("note", note) for note in _notes(doc)]
    if doc.format in PAGED_FORMATS and doc.page_count and not doc.text.strip():
        found.append(
            Finding(
                "parse",
                f"no text in any of its {doc.page_count} pages (blank pages, or a scan nothing could read)",
            )
        )
    return found


def _dropped_members(doc: Document, prefix: str) -> Iterator[str]:
    for error in json.loads(doc.meta.get("member_errors") or "[]"):
        yield f"{prefix}{error['member']} ({error['error']})"
    for member in doc.attachments:
        yield from _dropped_members(member, f"{prefix}{member.meta.get('member', '?')}/")


def _notes(doc: Document) -> Iterator[str]:
    yield from json.loads(doc.meta.get("notes") or "[]")
    for member in doc.attachments:
        yield from _notes(member)
