"""``.wps`` word-processor files that are not Word documents → :class:`Document` via LibreOffice.

Two unrelated formats use the ``.wps`` extension:

- **Kingsoft WPS Office** (金山 WPS, common on Chinese government sites) saves ``.wps`` as a
  Word 97 binary: an OLE2 file with a ``WordDocument`` stream. Those bytes *are* a DOC and are
  sniffed and parsed by :mod:`parsers.formats.doc` (tables included) — nothing to do here.
- **Microsoft Works** word-processor files: OLE2 with a ``CONTENTS`` stream starting
  ``CHNKWKS`` (Works 5–9) or an ``MN0`` stream (Works 4). This module sniffs those and has
  LibreOffice (which imports them through libwps) convert them to DOCX for the DOCX parser.

There is no text fallback: without LibreOffice such a file is a ParseError.

>>> sniff(b"\\xd0\\xcf\\x11\\xe0\\xa1\\xb1\\x1a\\xe1 truncated"), sniff(b"PK\\x03\\x04")
(False, False)
"""

from __future__ import annotations

from parsers.document import Document, ParseError
from parsers.formats._office import (
    OLE_MAGIC,
    convert_with_libreoffice,
    document_from_docx,
    ole_streams,
    open_ole,
)

NAME = "wps"
MEDIA_TYPE = "application/vnd.ms-works"

_WORKS_HEADER = b"CHNKWKS"


def _is_works(data: bytes) -> bool:
    streams = ole_streams(data)
    if streams is None or "worddocument" in streams:
        return False  # a Word binary (Kingsoft .wps included) belongs to doc.py
    if "mn0" in streams:
        return True
    if "contents" not in streams:
        return False
    with open_ole(data) as ole:
        return ole.openstream("CONTENTS").read(len(_WORKS_HEADER)) == _WORKS_HEADER


def sniff(data: bytes) -> bool:
    """An OLE2 Microsoft Works document (no ``WordDocument`` stream)."""
    if not data.startswith(OLE_MAGIC):
        return False
    try:
        return _is_works(data)
    except (OSError, ParseError):
        return False


def parse(data: bytes) -> Document:
    """Convert with LibreOffice and read the DOCX; ParseError on failure or timeout."""
    if not sniff(data):
        raise ParseError("not a Works .wps file (OLE2 with CONTENTS/MN0 stream)")
    return document_from_docx(convert_with_libreoffice(data, ".wps"), NAME)
