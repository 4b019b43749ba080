"""HTML article pages (and bare CMS body fragments) → :class:`Document`.

Government portals publish most annual reports as an HTML article: a page full of navigation,
menus and footers, with the report itself inside one CMS container (TRS ``.TRS_Editor``, Ucap
``#UCAP-CONTENT``, ``#zoom`` …) holding paragraphs and statistics tables with rowspan/colspan.

Steps:

1. **Decode** (``decode_html``): BOM, then a declared CJK/UTF-16 ``<meta charset>``, then UTF-8
   if the bytes are strictly valid UTF-8, else GB18030 (a superset of GB2312/GBK). Declared
   ``gb2312``/``gbk``/``utf-8``/``iso-8859-1`` labels are not trusted over the bytes: portals
   often lie, and valid UTF-8 is almost never accidental.
2. **Metadata** from the standard gov ``<meta>`` tags and from the 索引号 / 发布机构 / 名称 / 文号 /
   主题分类 / 发布日期 / 成文日期 block (a table, a list, or ``<p><strong>…</strong>：…</p>``).
3. **Find the body**: a known CMS container first, else the smallest element holding most of
   the page's non-link text after boilerplate (nav, menus, footers, share buttons) is removed.
4. **Walk** it in order: headings and paragraphs become :class:`Block`; data tables become
   :class:`Table` with spans resolved. Layout tables (nested tables, one column, one row) are
   walked through like any other container, so they never swallow the content.

>>> doc = parse('<p>一、概述</p><table><tr><td rowspan="2">合计</td><td>1</td></tr>'
...             '<tr><td>2</td></tr></table>'.encode())
>>> doc.blocks[0].text, doc.tables[0].grid()
('一、概述', [['合计', '1'], ['合计', '2']])
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

import lxml.html
from lxml import etree

from parsers.document import Block, BlockKind, Cell, Document, ParseError, Table
from vocabulary import is_cjk, join_words

NAME = "html"
MEDIA_TYPE = "text/html"

# --------------------------------------------------------------------------- sniffing

_BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
# The first real tag of an HTML page or CMS body fragment.
_HTML_FIRST_TAGS = {
    "html", "head", "body", "meta", "title", "link", "script", "style", "base",
    "table", "p", "div", "span", "font", "center", "br", "form", "section", "article",
    "main", "header", "nav", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "strong", "b",
    "tbody", "tr", "td", "img", "iframe", "noscript",
}  # fmt: skip
_LEADING_JUNK = re.compile(
    rb"\A(?:\s+|<!--.*?-->|<%.*?%>|<!doctype(?!\s+html)[^>]*>)*", re.IGNORECASE | re.DOTALL
)
_FIRST_TAG = re.compile(rb"<(!doctype\s+html|\?xml|[a-zA-Z][a-zA-Z0-9]*)", re.IGNORECASE)


def sniff(data: bytes) -> bool:
    """HTML-looking bytes: the first tag (after BOM, blanks, comments) is an HTML tag.

    >>> sniff(b"<!DOCTYPE html><html><body>x</body></html>"), sniff(b"\\xef\\xbb\\xbf <p>x</p>")
    (True, True)
    >>> sniff(b'<?xml version="1.0"?><datastore><record/></datastore>'), sniff(b"%PDF-1.7")
    (False, False)
    """
    head = _head_bytes(data[:4096])
    head = _LEADING_JUNK.sub(b"", head, count=1)
    match = _FIRST_TAG.match(head)
    if match is None:
        return False
    tag = match.group(1).lower()
    if tag.startswith(b"!doctype"):
        return True
    if tag == b"?xml":  # XHTML only; XML datastores/feeds are not pages
        return b"<html" in head.lower() and b"<datastore" not in head.lower()
    return tag.decode("ascii") in _HTML_FIRST_TAGS


def _head_bytes(data: bytes) -> bytes:
    """The start of the data as ASCII-compatible bytes (UTF-16 re-encoded, BOM dropped)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(encoding, errors="replace")
            return text.encode("utf-8", errors="replace")
    return data


# --------------------------------------------------------------------------- decoding

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.\-]+)", re.IGNORECASE)
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936", "euc_cn", "x-gbk"}
# Declared encodings worth trusting over the UTF-8 / GB18030 guess: other CJK encodings. (A
# UTF-16 label on bytes whose <meta> was readable as ASCII is a lie, as the HTML spec says.)
_TRUSTED = {"big5", "big5hkscs", "cp950", "euc_jp", "shift_jis", "cp932", "euc_kr", "cp949"}


def decode_html(data: bytes) -> str:
    """Bytes → text without mojibake, whatever the page claims.

    >>> page = '<meta charset="utf-8"><p>政府信息公开</p>'
    >>> decode_html(page.encode("gbk")) == page  # GBK bytes under a UTF-8 label
    True
    >>> decode_html(page.replace("utf-8", "gb2312").encode("utf-8")).endswith("政府信息公开</p>")
    True
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    declared = _declared_charset(data[:4096])
    candidates = [declared] if declared in _TRUSTED else []
    for encoding in [*candidates, "utf-8", "gb18030"]:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("gb18030", errors="replace")


def _declared_charset(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    return "gb18030" if name in _GB_FAMILY or name.startswith("gb") else name


# --------------------------------------------------------------------------- text helpers

_WS_RUN = re.compile(r"\s+")
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
BR = "\x00"  # a <br> inside a text buffer


def normalise_space(text: str) -> str:
    """Collapse whitespace like a browser: runs → one space, stripped; a run containing a line
    break between two CJK characters disappears (CSS segment-break rule for East Asian text).

    >>> normalise_space("  三、本年度\\n   办理结果 ")
    '三、本年度办理结果'
    >>> normalise_space("社会 稳定\\u3000 2017\\n年"), normalise_space("\\u200b\\xa0")
    ('社会 稳定 2017 年', '')
    """
    text = _ZERO_WIDTH.sub("", text)

    def repl(m: re.Match[str]) -> str:
        run = m.group()
        if "\n" in run or "\r" in run:
            before = text[m.start() - 1] if m.start() else ""
            after = text[m.end()] if m.end() < len(text) else ""
            if is_cjk(before) and is_cjk(after) and "\u3000" not in run:
                return ""
        return " "

    return _WS_RUN.sub(repl, text).strip()


# --------------------------------------------------------------------------- tree helpers

_SKIP_TAGS = {
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "button", "input", "select", "textarea", "option", "head", "title", "meta", "link", "map",
    "audio", "video", "frame", "frameset",
}  # fmt: skip
# Boilerplate by tag or class/id name. "Strong" names never hold the article; "weak" ones
# (print, share, header…) sometimes wrap it, so they go only when they hold little text.
_STRONG_TAGS = {"nav", "footer", "aside", "menu"}
_WEAK_TAGS = {"header"}
_STRONG_NAME = re.compile(
    r"(?:^|[\s_\-])(?:nav|navs|navbar|menu|menus|footer|foot|copyright|breadcrumbs?|crumbs?|"
    r"bread|top-?bar|login|qrcode|ewm|erweima|friendlinks?|bdshare|share_box|fenye|pager|"
    r"page_?bar)(?:$|[\s_\-])",
    re.IGNORECASE,
)
_WEAK_NAME = re.compile(
    r"(?:^|[\s_\-])(?:header|position|location|share|print|sidebar|side|toolbar|tools|search|"
    r"links?|links_con|relnews|related|article_extend|function_icon)(?:$|[\s_\-])",
    re.IGNORECASE,
)
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "blockquote", "pre", "address", "center", "form",
    "fieldset", "figure", "figcaption", "ul", "ol", "li", "dl", "dt", "dd", "hr", "caption",
    "details", "summary", "ucapcontent", "tbody", "thead", "tfoot", "tr", "td", "th", "body",
    "html", "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
_BOILERPLATE_MAX_SHARE = 0.4  # of the page's non-link text
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_WIDGET_TEXT = re.compile(
    r"^[\s【】\[\]()（）|｜/:：]*(?:(?:打印|关闭|关闭窗口|打印本页|收藏|分享到?|字体|字号|大|中|小|"
    r"返回顶部|返回|默认|扫一扫[^，。]{0,12})[\s【】\[\]()（）|｜/:：]*)+$"
)


def _tag(el: etree._Element) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def _is_hidden(el: etree._Element) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style or el.get("hidden") is not None


def _classes_and_id(el: etree._Element) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".strip()


def _drop(el: etree._Element) -> None:
    """Remove an element but keep its tail text in place."""
    if el.getparent() is not None:
        el.drop_tree()


def _boilerplate_kind(el: etree._Element, tag: str) -> str | None:
    """ "strong", "weak" or None (see ``_STRONG_NAME``)."""
    names = _classes_and_id(el)
    if tag in _STRONG_TAGS or _STRONG_NAME.search(names):
        return "strong"
    if tag in _WEAK_TAGS or _WEAK_NAME.search(names):
        return "weak"
    return None


def _strip_noise(root: etree._Element, boilerplate: bool) -> None:
    """Drop scripts, hidden elements and (when ``boilerplate``) nav/menu/footer/share blocks.

    A block with a weak boilerplate name but holding much of the text (``<div id="print_area">``
    around the article) is kept: such names lie, text does not.
    """
    doomed = [
        el
        for el in root.iter()
        if not _tag(el) or _tag(el) in _SKIP_TAGS or _is_hidden(el)  # (no tag: comments, PIs)
    ]
    for el in doomed:
        if el is not root:
            _drop(el)
    if not boilerplate:
        return
    scores = _text_scores(root)
    most = _BOILERPLATE_MAX_SHARE * scores.get(root, 0)
    doomed = []
    for el in root.iter():
        kind = _boilerplate_kind(el, _tag(el)) if el is not root else None
        if kind == "strong" or (kind == "weak" and scores.get(el, 0) <= most):
            doomed.append(el)
    for el in doomed:
        _drop(el)
    _drop_link_lists(root)


# --------------------------------------------------------------------------- metadata

META_NAMES = ["ArticleTitle", "PubDate", "ContentSource", "ColumnName", "SiteName"]
META_LABELS = ["索引号", "发布机构", "名称", "文号", "主题分类", "发布日期", "成文日期"]
_LABEL_RE = re.compile("(" + "|".join(r"\s*".join(label) for label in META_LABELS) + r")\s*[:：]?\s*")


def _meta_tags(tree: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    wanted = {name.lower(): name for name in META_NAMES}
    for el in tree.iter("meta"):
        name = wanted.get((el.get("name") or "").strip().lower())
        content = normalise_space(el.get("content") or "")
        if name and content and name not in found:
            found[name] = content
    return found


def _leaf_texts(root: etree._Element) -> Iterator[str]:
    """Text of each innermost block element (cells, paragraphs, list items…), in order."""
    for el in root.iter():
        tag = _tag(el)
        if tag in _BLOCK_TAGS and not any(_tag(d) in _BLOCK_TAGS for d in el.iterdescendants()):
            text = normalise_space(el.text_content())
            if text:
                yield text


def _label_meta(root: etree._Element) -> dict[str, str]:
    """The 索引号 / 发布机构 / … block: ``label：value`` in one element, or label and value in
    neighbouring elements (table cells, <dt>/<dd>), or several pairs on one line."""
    found: dict[str, str] = {}
    texts = [t for t in _leaf_texts(root) if len(t) <= 300]
    for i, text in enumerate(texts):
        matches = list(_LABEL_RE.finditer(text))
        if not matches or matches[0].start() != 0:
            continue
        for n, m in enumerate(matches):
            end = matches[n + 1].start() if n + 1 < len(matches) else len(text)
            label = re.sub(r"\s", "", m.group(1))
            value = text[m.end() : end].strip()
            if not value and n + 1 == len(matches) and i + 1 < len(texts):
                following = texts[i + 1]
                if not _LABEL_RE.match(following):
                    value = following
            if value and label not in found and len(value) <= 200:
                found[label] = value
    return found


def _title(tree: etree._Element, meta: dict[str, str], content: list[Block | Table]) -> str | None:
    if meta.get("ArticleTitle"):
        return meta["ArticleTitle"]
    titles = tree.xpath("//title")
    if titles:
        text = normalise_space(titles[0].text_content())
        # "文章标题_栏目_站点" / "标题 - 站点": keep the article's own part
        parts = [p.strip() for p in re.split(r"_|\s[-–—|｜]\s", text) if p.strip()]
        if parts:
            return parts[0] if len(parts[0]) >= 4 else text
    for item in content:
        if isinstance(item, Block) and item.kind == "heading":
            return item.text
    return None


# --------------------------------------------------------------------------- body finding

# Known article-body containers, most specific first: (attribute, value) or ("tag", name).
# Editor containers hold only what the author typed; the generic ones may hold widgets too.
EDITOR_CONTAINERS = {"trs_editor", "trs_editor_view", "trs_ueditor", "ucap-content", "ucapcontent"}
KNOWN_CONTAINERS = [
    ("class", "trs_editor"), ("class", "trs_editor_view"), ("class", "trs_ueditor"),
    ("id", "ucap-content"), ("tag", "ucapcontent"), ("id", "zoom"), ("class", "zoom"),
    ("class", "article-content"), ("class", "article_content"), ("id", "article-content"),
    ("class", "pages_content"), ("id", "content"), ("class", "view"), ("id", "detail"),
]  # fmt: skip
_MIN_BODY_CHARS = 50
_DESCEND_SHARE = 0.75
_LINK_LIST_TAGS = {"ul", "ol", "dl", "div", "table", "p", "td", "tr", "section", "span"}
_LINK_LIST_SHARE = 0.8
_CONTAINER_TAGS = {
    "body", "div", "section", "article", "main", "td", "th", "tr", "tbody", "table", "form",
    "center", "font", "ucapcontent", "dl", "dd", "span", "blockquote",
}  # fmt: skip


def _matches(el: etree._Element, kind: str, value: str) -> bool:
    if kind == "tag":
        return _tag(el) == value
    attr = (el.get(kind) or "").lower()
    return value in attr.split() if kind == "class" else attr == value


def _known_containers(root: etree._Element) -> tuple[list[etree._Element], bool]:
    """The first known container kind that holds real text: all its non-nested matches, and
    whether it is an editor container (no widgets inside)."""
    for kind, value in KNOWN_CONTAINERS:
        hits = [el for el in root.iter() if _tag(el) and _matches(el, kind, value)]
        hits = [el for el in hits if not any(a in hits for a in el.iterancestors())]
        hits = [el for el in hits if len(_squash(el.text_content())) >= _MIN_BODY_CHARS]
        if hits:
            return hits, value in EDITOR_CONTAINERS
    return [], False


def _squash(text: str) -> str:
    return _WS_RUN.sub("", text)


def _text_lengths(
    root: etree._Element,
) -> tuple[dict[etree._Element, int], dict[etree._Element, int], dict[etree._Element, int]]:
    """Text length, link-text length and number of links of every element (bottom-up pass)."""
    total: dict[etree._Element, int] = {}
    links: dict[etree._Element, int] = {}
    n_links: dict[etree._Element, int] = {}
    for el in reversed(list(root.iter())):
        if not _tag(el):
            continue
        t = len(_squash(el.text or ""))
        ln = n = 0
        for child in el:
            t += total.get(child, 0) + len(_squash(child.tail or ""))
            ln += links.get(child, 0)
            n += n_links.get(child, 0)
        total[el] = t
        is_link = _tag(el) == "a"
        links[el] = t if is_link else ln
        n_links[el] = n + 1 if is_link else n
    return total, links, n_links


def _text_scores(root: etree._Element) -> dict[etree._Element, int]:
    """Non-link text length of every element."""
    total, links, _ = _text_lengths(root)
    return {el: total[el] - links[el] for el in total}


def _drop_link_lists(root: etree._Element) -> None:
    """Drop menus and link lists: blocks of 3+ links that are mostly link text."""
    total, links, n_links = _text_lengths(root)
    doomed = [
        el
        for el in root.iter()
        if el is not root
        and _tag(el) in _LINK_LIST_TAGS
        and n_links.get(el, 0) >= 3
        and links[el] >= _LINK_LIST_SHARE * total[el]
    ]
    for el in doomed:
        _drop(el)


def _densest(root: etree._Element) -> etree._Element:
    """Walk down from ``root`` while one child holds most of the non-link text."""
    scores = _text_scores(root)
    node = root
    while True:
        children = [c for c in node if _tag(c) in _CONTAINER_TAGS]
        if _tag(node) == "table" or _tag(node) in {"tbody", "tr"}:
            children = [c for c in node if _tag(c) in {"tbody", "thead", "tr", "td", "th"}]
        if not children:
            return node
        best = max(children, key=lambda c: scores.get(c, 0))
        if scores.get(best, 0) < _DESCEND_SHARE * scores.get(node, 0) or scores.get(best, 0) == 0:
            return node
        if _tag(best) == "table" and not _is_layout_table(best):
            return node
        node = best


# --------------------------------------------------------------------------- tables


def _rows(table: etree._Element) -> list[etree._Element]:
    rows = []
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            rows.append(child)
        elif tag in {"thead", "tbody", "tfoot"}:
            rows.extend(c for c in child if _tag(c) == "tr")
    return rows


def _cells(row: etree._Element) -> list[etree._Element]:
    return [c for c in row if _tag(c) in {"td", "th"} and not _is_hidden(c)]


def _span(el: etree._Element, attr: str, limit: int) -> int:
    """A rowspan/colspan value; bad values → 1, 0 → to the end (``limit``)."""
    raw = (el.get(attr) or "1").strip()
    match = re.match(r"\d+", raw)
    if not match:
        return 1
    value = int(match.group())
    return limit if value == 0 else max(1, min(value, limit))


def _is_layout_table(table: etree._Element) -> bool:
    """A table used for page layout rather than data: it holds other tables, or has a single
    row or column, or a cell holding a long text."""
    rows = _rows(table)
    if any(_tag(d) == "table" for d in table.iterdescendants()):
        return True
    widths = [sum(_span(c, "colspan", 1000) for c in _cells(r)) for r in rows]
    if len([w for w in widths if w]) < 2 or max(widths, default=0) < 2:
        return True
    return any(len(_squash(c.text_content())) > 400 for r in rows for c in _cells(r))


def _cell_text(cell: etree._Element) -> str:
    walker = _Walker()
    walker.walk_children(cell)
    walker.flush()
    return join_words(b.text for b in walker.content if isinstance(b, Block))


def parse_table(table: etree._Element) -> Table | None:
    """A data <table> → :class:`Table`, rowspan/colspan placed on an occupancy grid."""
    rows = _rows(table)
    cells: list[Cell] = []
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(rows):
        c = 0
        for td in _cells(row):
            while (r, c) in taken:
                c += 1
            rowspan = _span(td, "rowspan", len(rows) - r)
            colspan = _span(td, "colspan", 1000)
            cells.append(Cell(_cell_text(td), r, c, rowspan, colspan))
            taken.update((r + i, c + j) for i in range(rowspan) for j in range(colspan))
            c += colspan
    return Table(cells=cells) if cells else None


def _is_meta_table(table: etree._Element) -> bool:
    text = normalise_space(table.text_content())
    return len({re.sub(r"\s", "", m.group(1)) for m in _LABEL_RE.finditer(text)}) >= 3


# --------------------------------------------------------------------------- walking


class _Walker:
    """Turns a container's subtree into Blocks and Tables in reading order."""

    def __init__(self) -> None:
        self.content: list[Block | Table] = []
        self._buf: list[str] = []

    def flush(self, kind: BlockKind = "paragraph") -> None:
        text = "".join(self._buf)
        self._buf = []
        for piece in text.split(BR):
            piece = normalise_space(piece)
            if piece:
                self.content.append(Block(piece, kind=kind))

    def walk_children(self, el: etree._Element) -> None:
        if el.text:
            self._buf.append(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                self._buf.append(child.tail)

    def walk(self, el: etree._Element) -> None:
        tag = _tag(el)
        if not tag or tag in _SKIP_TAGS or _is_hidden(el):
            return
        if tag == "br":
            self._buf.append(BR)
        elif tag == "table":
            self.flush()
            self._table(el)
        elif tag in _HEADINGS:
            self.flush()
            self.walk_children(el)
            self.flush("heading")
        elif tag in _BLOCK_TAGS:
            self.flush()
            self.walk_children(el)
            self.flush()
        else:
            self.walk_children(el)

    def _table(self, el: etree._Element) -> None:
        if _is_meta_table(el):
            return
        if _is_layout_table(el):
            for row in _rows(el):
                for cell in _cells(row):
                    self.flush()
                    self.walk_children(cell)
                    self.flush()
            return
        for caption in el.findall("caption"):  # a caption is the table's title line
            self.walk(caption)
        table = parse_table(el)
        if table is not None:
            self.content.append(table)


def _drop_widgets_and_meta(content: list[Block | Table], meta: dict[str, str]) -> list[Block | Table]:
    """Leave out print/close/font-size widgets and the lines of the metadata block."""
    out: list[Block | Table] = []
    for item in content:
        if isinstance(item, Block):
            if len(item.text) <= 40 and _WIDGET_TEXT.match(item.text):
                continue
            m = _LABEL_RE.match(item.text)
            if m and meta.get(re.sub(r"\s", "", m.group(1))) == item.text[m.end() :].strip():
                continue
        out.append(item)
    return out


# --------------------------------------------------------------------------- entry point


def _parse_tree(text: str) -> etree._Element:
    text = re.sub(r"\A\s*<\?xml[^>]*\?>", "", text)  # lxml refuses str with an XML declaration
    text = re.sub(r"<%.*?%>", "", text, flags=re.DOTALL)  # JSP/ASP source tags in saved pages
    if not text.strip():
        raise ParseError("empty HTML document")
    parser = lxml.html.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, recover=True, huge_tree=False
    )
    try:
        return lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unparseable HTML: {exc}") from exc


def parse(data: bytes) -> Document:
    """Parse an HTML page or body fragment into a :class:`Document` (see module docstring)."""
    tree = _parse_tree(decode_html(data))
    meta = _meta_tags(tree)
    label_meta = _label_meta(tree)
    labels_found = len(label_meta) >= 2  # one stray "名称：" in prose is not a metadata block
    if labels_found:
        meta.update(label_meta)
    body = tree.find("body")
    root = body if body is not None else tree
    containers, editor = _known_containers(root)
    if containers:
        for container in containers:
            _strip_noise(container, boilerplate=not editor)
    else:
        _strip_noise(root, boilerplate=True)
        containers = [_densest(root)]
    walker = _Walker()
    for container in containers:
        walker.walk(container)
    walker.flush()
    content = _drop_widgets_and_meta(walker.content, label_meta if labels_found else {})
    return Document(
        format=NAME,
        content=content,
        method="markup",
        title=_title(tree, meta, content),
        meta=meta,
    )
