"""TRS WCM (拓尔思) portals: static ``index_N.html`` lists paged by script, t-date articles.

What the adapter knows (PORTALS.md, real pages in ``realworld/portals_cms/trs_handan_*``):

- Articles are ``./YYYYMM/tYYYYMMDD_ID.html`` (or ``.shtml`` / ``.htm``) under the column;
  bodies sit in ``.TRS_Editor``, ``.trs_editor_view`` or ``.TRS_UEDITOR``; uploaded files are
  ``./P0YYYYMMDD….pdf`` and inline images ``./W0….jpg``.
- A column's pages are ``index.html``, ``index_1.html`` … and the pager is written by script,
  so often no ``<a>`` leads to page 2: ``createPageHTML(total, current, "index", "html")``
  (also with 3 arguments, and the 6-argument ``createPageHTML("div", total, current, "index",
  "html", records)``), or inline ``var countPage=56 … document.write("index_"+i+".html")``.
- Deep ``index_N`` pages may be tiny stubs left behind (no items, sometimes a stale pager
  that promises even more pages): paging stops there.
- Pages lie about their charset (GBK bytes under ``charset=utf-8``): the spider hands every
  adapter the page as :func:`crawler.charset.decoded` read it, so nothing here re-decodes.
- Uploaded files and the attachment finder are shared with the other TRS-made CMSs
  (:mod:`crawler.platforms.shared`).

>>> from scrapy.http import HtmlResponse
>>> page = HtmlResponse("http://x.test/nb/index.html", body=b'''<ul>
...   <li><a href="./201903/t20190320_51.html">report</a></li></ul>
...   <script>createPageHTML(3, 0, "index", "html");</script>''')
>>> TRS.detect(page)
True
>>> [link.url for link in TRS().next_pages(page)]
['http://x.test/nb/index_1.html', 'http://x.test/nb/index_2.html']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse

from crawler.links import Link
from crawler.platforms.base import Platform, mentions
from crawler.platforms.generic import Generic
from crawler.platforms.shared import MAX_PAGES, UPLOAD_NAME, attachments, is_stub, same_site_paths

_BODY_CLASSES = ("TRS_Editor", "trs_editor_view", "TRS_UEDITOR")
_BODY_MARKER = re.compile(r"TRS_Editor|trs_editor_view|TRS_UEDITOR", re.I)
_PAGER_MARKER = re.compile(r"createPageHTML\s*\(|\bvar\s+countPage\s*=")
ARTICLE_URL = re.compile(r"/t(?:19|20)\d{6}_\d+\.s?html?$", re.I)
_CREATE_PAGE = re.compile(r"createPageHTML\s*\(([^()]*)\)")
_COUNT_PAGE = re.compile(r"\bcountPage\s*=\s*(\d+)")
_CURRENT_PAGE = re.compile(r"\bcurrentPage\s*=\s*(\d+)")
_WRITTEN_HREF = re.compile(r"""href=\\?["']([A-Za-z][\w-]*)\.(s?html?)\\?["']""")
_PAGE_FILE = re.compile(r"/([A-Za-z][\w-]*?)(?:_\d+)?\.(s?html?)$")
_EXTENSIONS = {"html", "htm", "shtml"}


class TRS(Platform):
    name = "trs"

    @classmethod
    def detect(cls, response: TextResponse) -> bool:
        text = response.text
        # (Each check first asks for a word every match holds: most pages have none.)
        if mentions(response, "trs_") and _BODY_MARKER.search(text):
            return True
        if ("createPageHTML" in text or "countPage" in text) and _PAGER_MARKER.search(text):
            return True
        # Same-site t-date article links or P0… uploads (a footer link elsewhere does not count).
        return any(ARTICLE_URL.search(path) or UPLOAD_NAME.search(path) for path in same_site_paths(response))

    def next_pages(self, response: TextResponse) -> Iterable[Link]:
        if is_stub(response, ARTICLE_URL):
            return []  # a stub's pager (often stale) leads nowhere
        found = {link.url: link for link in script_pages(response)}
        for link in Generic().next_pages(response):
            found.setdefault(link.url, link)
        return list(found.values())

    def attachment_links(self, response: TextResponse) -> Iterable[Link]:
        return attachments(response, body_css=[f".{name}" for name in _BODY_CLASSES])


def script_pages(response: TextResponse) -> Iterator[Link]:
    """Pages named by a TRS pager script, except the page itself."""
    text = response.text
    default_name, default_ext = _page_file(response.url)
    calls = [_create_page_args(m.group(1)) for m in _CREATE_PAGE.finditer(text)]
    pagers = [c for c in calls if c is not None]
    if not pagers and (count := _COUNT_PAGE.search(text)):
        written = _WRITTEN_HREF.search(text)
        name, ext = (written.group(1), written.group(2)) if written else (default_name, default_ext)
        current = _CURRENT_PAGE.search(text)
        pagers.append((int(count.group(1)), int(current.group(1)) if current else 0, name, ext))
    for total, current, name, ext in pagers:
        for k in range(min(total, MAX_PAGES)):
            if k == current:
                continue
            href = f"{name or default_name}.{ext or default_ext}"
            if k:
                href = f"{name or default_name}_{k}.{ext or default_ext}"
            yield Link(urljoin(response.url, href), f"第{k + 1}页")


def _create_page_args(raw: str) -> tuple[int, int, str, str] | None:
    """``createPageHTML`` arguments → (pages, current, name, ext); ``None`` for the function's
    own definition (no numbers). Strings before the page count (a div id) are skipped.

    >>> _create_page_args('56, 3, "index", "html"')
    (56, 3, 'index', 'html')
    >>> _create_page_args("'page_div', 8, 0, 'list', 'shtml', 150")
    (8, 0, 'list', 'shtml')
    >>> _create_page_args('4, 1, "shtml"'), _create_page_args('4, 1, "index"')
    ((4, 1, '', 'shtml'), (4, 1, 'index', ''))
    >>> _create_page_args("_nPageCount, _nCurrIndex, _sPageName, _sPageExt") is None
    True
    """
    args = [a.strip().strip("'\"") for a in raw.split(",")]
    numbers = [i for i, a in enumerate(args) if a.isdigit()]
    if not numbers:
        return None
    first = numbers[0]
    total = int(args[first])
    current = int(args[first + 1]) if first + 1 < len(args) and args[first + 1].isdigit() else 0
    words = [a for a in args[first + 2 :] if a and not a.isdigit()]
    name = ext = ""
    if len(words) >= 2:
        name, ext = words[0], words[1]
    elif words:
        name, ext = ("", words[0]) if words[0].lower() in _EXTENSIONS else (words[0], "")
    return total, current, name, ext


def _page_file(url: str) -> tuple[str, str]:
    """The list page's own name and extension (``index``, ``html`` unless the URL says).

    >>> _page_file("http://x.test/nb/index_3.shtml"), _page_file("http://x.test/nb/")
    (('index', 'shtml'), ('index', 'html'))
    """
    match = _PAGE_FILE.search(urlsplit(url).path)
    return (match.group(1), match.group(2)) if match else ("index", "html")
