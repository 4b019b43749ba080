"""Format parsers: one module per file format, chosen by sniffing the bytes.

Each module defines::

    NAME: str                      # "pdf", "docx", …
    MEDIA_TYPE: str                # canonical media type stored in ``files.media_type``
    def sniff(data: bytes) -> bool # True when the bytes are this format (magic bytes, not URLs)
    def parse(data: bytes) -> Document   # raises parsers.document.ParseError on bad input

Adding a format means adding a module and listing it in ``FORMATS`` — order matters where
signatures overlap (DOCX and XLSX are ZIPs too, so they come before ``zip``).
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from parsers.document import Document, ParseError

_MODULE_NAMES = ["pdf", "docx", "xlsx", "doc", "xls", "wps", "zip", "image", "html"]

FORMATS: list[ModuleType] = [import_module(f"parsers.formats.{n}") for n in _MODULE_NAMES]
MEDIA_TYPES: dict[str, str] = {m.NAME: m.MEDIA_TYPE for m in FORMATS}


def sniff(data: bytes) -> ModuleType | None:
    """The format module that recognises ``data``, or None."""
    for module in FORMATS:
        if module.sniff(data):
            return module
    return None


def parse(data: bytes) -> Document:
    module = sniff(data)
    if module is None:
        raise ParseError("unrecognised file format (no parser sniffs these bytes)")
    return module.parse(data)
