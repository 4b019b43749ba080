"""Word 2007+ documents (DOCX) → :class:`Document`.

Many reports are published as DOCX, filled in from the official template. python-docx opens the
package (its XML parser does not resolve entities); the body is then read straight from the
WordprocessingML so that order and merged cells are exact:

- body children in order: paragraphs → :class:`Block` (``heading`` when the paragraph's style
  is a Heading/标题/Title style or carries an outline level), tables → :class:`Table`;
  content controls (``w:sdt``) and ``w:customXml`` wrappers are looked through;
- merged cells come from the XML, not from ``table.cell()`` (which repeats merged cells):
  ``w:gridSpan`` → colspan, ``w:vMerge`` restart/continue → rowspan, ``w:gridBefore`` shifts
  a row right, legacy ``w:hMerge`` widens the previous cell;
- deleted text (``w:delText``), field codes and ``mc:Fallback`` duplicates are left out;
  text boxes are skipped (they float outside the reading order);
- title: the core-properties title, else the first heading.

A corrupt or truncated file, or a ZIP that is not a Word document, raises ``ParseError``.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator

from lxml import etree

from parsers.document import Block, BlockKind, Cell, Document, ParseError, Table
from parsers.formats._zipsafe import sniff_ooxml
from vocabulary import join_words

NAME = "docx"
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_MAIN_CONTENT_TYPE = b"wordprocessingml.document.main+xml"
_MAX_UNZIPPED = 500 * 1024 * 1024  # a zip bomb guard: real reports are a few MB


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


# --------------------------------------------------------------------------- sniffing


def sniff(data: bytes) -> bool:
    """A ZIP holding ``word/document.xml`` (or declaring a Word main part).

    >>> sniff(b"PK\\x03\\x04 truncated"), sniff(b"%PDF-1.7")
    (False, False)
    """
    return sniff_ooxml(data, "word/document.xml", _MAIN_CONTENT_TYPE)


# --------------------------------------------------------------------------- text


def _texts(el: etree._Element) -> Iterator[str]:
    """Displayed text of a paragraph-level element, in order."""
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag == _w("t"):
            yield child.text or ""
        elif tag == _w("tab"):
            yield "\t"
        elif tag in (_w("br"), _w("cr")):
            yield "\n"
        elif tag == _w("noBreakHyphen"):
            yield "-"
        elif tag in (_w("txbxContent"), f"{{{MC_NS}}}Fallback", _w("delText"), _w("instrText")):
            continue
        elif tag in (_w("p"), _w("tbl")):
            continue  # nested block content (text boxes) is not part of this paragraph
        else:
            yield from _texts(child)


def paragraph_lines(p: etree._Element) -> list[str]:
    """A paragraph's text as lines (``w:br`` splits), blanks collapsed, empty lines dropped.

    >>> xml = f'<w:p xmlns:w="{W_NS}"><w:r><w:t>（三）不予</w:t><w:br/><w:t> 公开 </w:t></w:r></w:p>'
    >>> paragraph_lines(etree.fromstring(xml))
    ['（三）不予', '公开']
    """
    text = "".join(_texts(p))
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n"))
    return [line for line in lines if line]


# --------------------------------------------------------------------------- styles


class _Styles:
    """Which paragraph styles are headings (by name or outline level, following basedOn)."""

    def __init__(self, styles_element: etree._Element | None) -> None:
        self._by_id: dict[str, etree._Element] = {}
        if styles_element is not None:
            for style in styles_element.iter(_w("style")):
                style_id = style.get(_w("styleId"))
                if style_id:
                    self._by_id[style_id] = style

    def is_heading(self, style_id: str | None, depth: int = 0) -> bool:
        style = self._by_id.get(style_id or "")
        if style is None or depth > 8:
            return False
        name_el = style.find(_w("name"))
        name = (name_el.get(_w("val")) if name_el is not None else "") or ""
        if re.match(r"^(heading\s*\d|标题\s*\d|title$|标题$)", name.strip().lower()):
            return True
        if style.find(f"{_w('pPr')}/{_w('outlineLvl')}") is not None:
            level = style.find(f"{_w('pPr')}/{_w('outlineLvl')}").get(_w("val"), "9")
            return level.isdigit() and int(level) < 9
        based_on = style.find(_w("basedOn"))
        return based_on is not None and self.is_heading(based_on.get(_w("val")), depth + 1)


def _paragraph_kind(p: etree._Element, styles: _Styles) -> BlockKind:
    ppr = p.find(_w("pPr"))
    if ppr is not None:
        outline = ppr.find(_w("outlineLvl"))
        if outline is not None:
            level = outline.get(_w("val"), "9")
            return "heading" if level.isdigit() and int(level) < 9 else "paragraph"
        style = ppr.find(_w("pStyle"))
        if style is not None and styles.is_heading(style.get(_w("val"))):
            return "heading"
    return "paragraph"


# --------------------------------------------------------------------------- tables


def _unwrap(el: etree._Element, wanted: str) -> Iterator[etree._Element]:
    """Children with tag ``wanted``, looking through content controls / customXml wrappers."""
    for child in el:
        if child.tag == wanted:
            yield child
        elif child.tag == _w("sdt"):
            content = child.find(_w("sdtContent"))
            if content is not None:
                yield from _unwrap(content, wanted)
        elif child.tag in (_w("customXml"), _w("smartTag")):
            yield from _unwrap(child, wanted)


def _int_val(el: etree._Element | None, default: int) -> int:
    if el is None:
        return default
    raw = el.get(_w("val"), "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def _cell_text(tc: etree._Element) -> str:
    lines: list[str] = []
    for child in tc:
        if child.tag == _w("p"):
            lines.extend(paragraph_lines(child))
        elif child.tag == _w("tbl"):  # a table inside a cell: its text, row by row
            for row in _unwrap(child, _w("tr")):
                lines.extend(_cell_text(tc2) for tc2 in _unwrap(row, _w("tc")))
        elif child.tag == _w("sdt"):
            content = child.find(_w("sdtContent"))
            if content is not None:
                lines.append(_cell_text(content))
    return join_words(line for line in lines if line)


def parse_table(tbl: etree._Element) -> Table | None:
    """A ``w:tbl`` → :class:`Table` with spans computed from the grid markup."""
    cells: list[Cell] = []
    open_merges: dict[int, Cell] = {}  # grid column → cell whose vertical merge may continue
    for r, tr in enumerate(_unwrap(tbl, _w("tr"))):
        trpr = tr.find(_w("trPr"))
        col = _int_val(trpr.find(_w("gridBefore")) if trpr is not None else None, 0)
        continued: dict[int, Cell] = {}
        previous: Cell | None = None
        for tc in _unwrap(tr, _w("tc")):
            tcpr = tc.find(_w("tcPr"))
            span = _int_val(tcpr.find(_w("gridSpan")) if tcpr is not None else None, 1)
            vmerge = tcpr.find(_w("vMerge")) if tcpr is not None else None
            hmerge = tcpr.find(_w("hMerge")) if tcpr is not None else None
            if hmerge is not None and hmerge.get(_w("val")) != "restart" and previous:
                previous.colspan += span  # legacy horizontal merge continuation
                col += span
                continue
            above = open_merges.get(col)
            is_continue = vmerge is not None and vmerge.get(_w("val"), "continue") == "continue"
            if is_continue and above is not None and above.colspan == span:
                above.rowspan = r - above.row + 1
                continued[col] = above
                previous = above
            else:
                cell = Cell(_cell_text(tc), r, col, 1, span)
                cells.append(cell)
                if vmerge is not None:  # restart (or a stray continue): a merge may follow
                    continued[col] = cell
                previous = cell
            col += span
        open_merges = continued
    return Table(cells=cells) if cells else None


# --------------------------------------------------------------------------- entry point


_DTD_MARKERS = tuple(
    marker.encode(enc) for marker in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-8", "utf-16-le", "utf-16-be")
)
_PROLOG_BYTES = 4096  # a DTD sits before the root element


def _dtd_parts(z: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> list[str]:
    """XML parts that declare a DTD or entities. OOXML never needs one: it is someone trying
    entity expansion (billion laughs, external entities). Not expanded here — python-docx's
    parser resolves no entities — but worth a note."""
    found = []
    for info in infos:
        if info.filename.endswith((".xml", ".rels")):
            with z.open(info) as part:
                prolog = part.read(_PROLOG_BYTES)
            if any(marker in prolog for marker in _DTD_MARKERS):
                found.append(info.filename)
    return found


def _open(data: bytes):  # -> tuple[docx.document.Document, list[str]]
    """Open with python-docx, turning every failure into a ParseError with a reason; also the
    XML parts that declare a DTD."""
    import docx

    if not data.startswith(b"PK"):
        raise ParseError("not a DOCX: no ZIP signature")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            if sum(i.file_size for i in infos) > _MAX_UNZIPPED:
                raise ParseError("DOCX unpacks to more than 500 MB (zip bomb?)")
            bad = z.testzip()
            dtds = _dtd_parts(z, infos) if bad is None else []
    except zipfile.BadZipFile as exc:
        raise ParseError(f"corrupt or truncated ZIP: {exc}") from exc
    if bad is not None:
        raise ParseError(f"corrupt DOCX: bad CRC in member {bad}")
    if "word/document.xml" not in names and "[Content_Types].xml" not in names:
        raise ParseError("ZIP archive is not a Word document (no word/document.xml)")
    try:
        return docx.Document(io.BytesIO(data)), dtds
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors …
        raise ParseError(f"corrupt DOCX: {type(exc).__name__}: {exc}") from exc


def _walk(parent: etree._Element, styles: _Styles, content: list[Block | Table]) -> None:
    for child in parent:
        if child.tag == _w("p"):
            kind = _paragraph_kind(child, styles)
            content.extend(Block(line, kind=kind) for line in paragraph_lines(child))
        elif child.tag == _w("tbl"):
            table = parse_table(child)
            if table is not None:
                content.append(table)
        elif child.tag == _w("sdt"):
            inner = child.find(_w("sdtContent"))
            if inner is not None:
                _walk(inner, styles, content)
        elif child.tag == _w("customXml"):
            _walk(child, styles, content)


def parse(data: bytes) -> Document:
    """Parse DOCX bytes into a :class:`Document` (see module docstring)."""
    document, dtds = _open(data)
    try:
        styles_element = document.styles.element
    except Exception:  # a package without a styles part
        styles_element = None
    content: list[Block | Table] = []
    _walk(document.element.body, _Styles(styles_element), content)
    title = (document.core_properties.title or "").strip() or None
    if title is None:
        title = next((b.text for b in content if isinstance(b, Block) and b.kind == "heading"), None)
    notes = [f"XML entity/DTD declaration in {part}: not expanded" for part in dtds]
    meta = {"notes": json.dumps(notes, ensure_ascii=False)} if notes else {}
    return Document(format=NAME, content=content, method="markup", title=title, meta=meta)
