"""Scanned pages published as images (PNG, JPEG, TIFF, BMP, GIF): read by OCR.

Portals sometimes publish a report as "图片版" — one picture per page, or a multi-page TIFF.
The format is recognised by its magic bytes; every page (TIFF/GIF frame) goes through
:mod:`parsers.ocr`, which rebuilds ruled tables and paragraphs. The document's ``method`` is
``"ocr"`` with ``ocr_confidence`` the engine's mean confidence (0–1); ``meta["media_type"]``
names the exact image type (the registry's :data:`MEDIA_TYPE` covers them all).

Hostile input fails fast with :class:`~parsers.document.ParseError`: a header that declares
more than :data:`parsers.ocr.MAX_PIXELS` pixels is refused *before* any pixel is decoded
(an image bomb), a truncated or corrupt file is refused when it will not decode, and OCR runs
under the time limits of :mod:`parsers.ocr`.

>>> sniff(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8)), sniff(b"\\xff\\xd8\\xff\\xe0"), sniff(b"GIF89a")
(True, True, True)
>>> sniff(b"II*\\x00"), sniff(b"BM" + bytes(12) + b"\\x28\\x00\\x00\\x00"), sniff(b"BMW file")
(True, True, False)
>>> media_type(b"\\xff\\xd8\\xff\\xe0")
'image/jpeg'
"""

from __future__ import annotations

from parsers import ocr
from parsers.document import Document, ParseError

NAME = "image"
MEDIA_TYPE = "image/*"  # the exact type is in Document.meta["media_type"]

_BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}  # BITMAPINFOHEADER and its relatives


def media_type(data: bytes) -> str | None:
    """The image media type the magic bytes announce, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    # "BM" alone is too weak a signature: also check the size of the DIB header that follows
    dib_header_size = int.from_bytes(data[14:18], "little")
    if data.startswith(b"BM") and dib_header_size in _BMP_HEADER_SIZES:
        return "image/bmp"
    return None


def sniff(data: bytes) -> bool:
    return media_type(data) is not None


def parse(data: bytes) -> Document:
    """OCR every page of the image; ParseError on a bomb, a corrupt file or an OCR failure."""
    kind = media_type(data)
    if kind is None:
        raise ParseError("not an image: no PNG/JPEG/TIFF/BMP/GIF signature")
    image = ocr.open_image(data)  # checks the declared size before decoding
    if not ocr.available():
        raise ParseError("image needs OCR, but the OCR engine (tesseract) is not installed")
    width, height = image.size
    dpi = ocr.image_dpi(image)
    n_pages = getattr(image, "n_frames", 1)
    # frames are decoded one at a time as OCR reaches them (ParseError if one is corrupt)
    result = ocr.ocr_images((page, dpi) for page in ocr.image_pages(image))
    return Document(
        format=NAME,
        content=result.content,
        method="ocr",
        ocr_confidence=result.confidence,
        page_count=n_pages,
        meta={"media_type": kind, "pixels": f"{width}x{height}"},
    )
