"""Born-digital PDF parser: the text layer through pypdfium2, tables rebuilt from ruling lines.

The format's entry point; the layers are modules of their own:

- :mod:`parsers.formats._pdfpage`: opening the document, the page as displayed, its
  **characters** with their boxes and fonts (PDFium's generated spaces dropped);
- :mod:`parsers.formats._pdfrules`: the **ruling lines** of a page's path objects;
- :mod:`parsers.formats._pdftables`: **tables** from touching rules (:mod:`parsers.grid`),
  tables split by a page break joined again;
- :mod:`parsers.formats._pdftext`: the other characters as **lines, paragraphs and
  headings** (:mod:`parsers.layout`, shared with OCR), page numbers dropped, in reading order.

Pages with an image but (almost) no text are scans: ``meta["ocr_pages"]`` lists them
("3,4"), and when they are at least half the document it is a scanned PDF,
``meta["needs_ocr"] = "1"``. Scanned pages are read by OCR (:mod:`parsers.ocr`) and their
blocks and tables take the pages' places in reading order; ``method`` is ``"ocr"`` when
the scans are the document. Without the OCR engine the text layer is all there is, and
``meta["ocr"] = "unavailable"`` says so.

>>> sniff(b"%PDF-1.7\\n%\\xe2\\xe3")
True
>>> sniff(b"<html>")
False
"""

from __future__ import annotations

import pypdfium2 as pdfium

from parsers.document import Document, ParseError
from parsers.formats._pdfpage import Page, View, open_pdf, parse_title, read_chars
from parsers.formats._pdfpage import sniff as sniff  # the format's sniffer
from parsers.formats._pdfrules import read_rules
from parsers.formats._pdftables import find_parts, merge_split_tables
from parsers.formats._pdftext import assemble, body_size, is_page_furniture, make_line, mark_bold
from parsers.layout import group_lines

NAME = "pdf"
MEDIA_TYPE = "application/pdf"

_SCAN_MAX_CHARS = 10  # a page with fewer characters and an image is a scan


def parse(data: bytes, *, ocr: bool = True) -> Document:
    """Parse a PDF into blocks and tables (scanned pages by OCR unless ``ocr=False``);
    raise ParseError on bad input."""
    pdf = open_pdf(data)
    try:
        title = parse_title(pdf)
        pages = [_read_page(pdf, i) for i in range(len(pdf))]
    finally:
        pdf.close()
    merge_split_tables(pages)
    mark_bold(pages)
    content = assemble(pages, body_size(pages))
    doc = Document(format=NAME, content=content, method="text-layer", page_count=len(pages), title=title)
    image_only = [p.number for p in pages if _is_image_only(p)]
    if image_only:
        doc.meta["ocr_pages"] = ",".join(map(str, image_only))
        if len(image_only) * 2 >= len(pages):
            doc.meta["needs_ocr"] = "1"
        if ocr:
            _read_scanned_pages(doc, data, image_only)
    return doc


def _read_scanned_pages(doc: Document, data: bytes, numbers: list[int]) -> None:
    from parsers import ocr

    if not ocr.available():
        doc.meta["ocr"] = "unavailable"
        return
    result = ocr.ocr_pdf_pages(data, numbers)
    # stable sort by page: each scanned page's OCR content lands where the page is
    merged = [*doc.content, *result.content]
    merged.sort(key=lambda item: item.page or 0)
    doc.content = merged
    doc.ocr_confidence = result.confidence
    if "needs_ocr" in doc.meta:
        doc.method = "ocr"


def _read_page(pdf: pdfium.PdfDocument, index: int) -> Page:
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        raise ParseError(f"corrupt PDF: page {index + 1} cannot be loaded ({exc})") from exc
    try:
        view = View(*page.get_bbox(), rotation=page.get_rotation() % 360)
        try:
            textpage = page.get_textpage()
        except pdfium.PdfiumError as exc:
            raise ParseError(f"corrupt PDF: page {index + 1} has no readable text ({exc})") from exc
        try:
            chars = read_chars(textpage, view)
            hs, vs, n_images = read_rules(page, view)
            parts, free = find_parts(hs, vs, index + 1, chars)
            lines = [ln for g in group_lines(free) if (ln := make_line(g, textpage))]
        finally:
            textpage.close()
    finally:
        page.close()
    lines = [ln for ln in lines if not is_page_furniture(ln, view.height)]
    return Page(index + 1, view.height, lines, parts, len(chars), n_images)


def _is_image_only(page: Page) -> bool:
    """A page with an image and (almost) no text: scanned, it has no text layer."""
    return page.n_chars < _SCAN_MAX_CHARS and page.n_images > 0
