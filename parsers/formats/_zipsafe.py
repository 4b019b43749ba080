"""Looking into ZIP containers (DOCX, XLSX, plain ZIP) without trusting them.

Sniffing runs on every fetched file, so it must never raise and never inflate much:

- :func:`zip_names` lists the members from the central directory (nothing is inflated) and
  says None for anything that is not a readable ZIP;
- :func:`sniff_ooxml` tells an Office Open XML package by its main part, or else by the
  content type ``[Content_Types].xml`` declares for it, reading that part only when its
  declared size is within :data:`~parsers.limits.XLSX_MAX_PART_BYTES` (zipfile stops
  inflating at the declared size).

>>> zip_names(b"PK\\x03\\x04 truncated") is None
True
>>> zip_names(b"PK\\x05\\x06" + bytes(18))
[]
"""

from __future__ import annotations

import io
import zipfile

from parsers import limits

ZIP_MAGIC = b"PK\x03\x04"
CONTENT_TYPES = "[Content_Types].xml"


def zip_names(data: bytes) -> list[str] | None:
    """The member names of a ZIP, or None when the bytes are not a readable ZIP."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return z.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return None


def sniff_ooxml(data: bytes, main_part: str, main_content_type: bytes) -> bool:
    """A ZIP holding ``main_part`` (``word/document.xml``), or declaring a part of
    ``main_content_type`` (``wordprocessingml.document.main+xml``) in its content types.

    >>> sniff_ooxml(b"%PDF-1.7", "word/document.xml", b"main+xml")
    False
    """
    if not data.startswith(ZIP_MAGIC):
        return False
    names = zip_names(data)
    if names is None:
        return False
    if main_part in names:
        return True
    if CONTENT_TYPES not in names:
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            info = z.getinfo(CONTENT_TYPES)
            if info.file_size > limits.XLSX_MAX_PART_BYTES:
                return False
            return main_content_type in z.read(info)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        return False
