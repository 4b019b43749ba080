"""The words nianbao's stages share: fetch roles, ``request.meta`` keys, what a 年报 title looks
like, text normalisation and the one test of "is this character CJK".

Why a package of its own: the crawler and the parsers both need these words, and data flows one
way (crawler → archive → parsers), so neither may import the other. This leaf imports nothing
from ``crawler/``, ``archive/``, ``parsers/`` or ``nianbao/`` (only the standard library), and
each of them may import it. The title rules and the text normalisation decide what the parsers
make of a document, so this package's source counts towards the parser version
(``parsers/version.py``): changing a rule here re-parses like changing one in ``parsers/``.

>>> is_report_title("威海市政务服务中心管理办公室 2017年政务公开工作年度报告")
True
>>> is_report_title("关于做好2017年政府信息公开工作年度报告编制发布工作的通知")
False
>>> is_report_title("2017年法治政府建设年度报告")
False
>>> year_in_title("灵武市政务服务中心2017年度政府信息公开工作报告")
2017
>>> is_column_label("政府信息<br>公开年报")
True
>>> is_cjk("中"), is_cjk("，"), is_cjk("“"), is_cjk("a"), is_cjk("1"), is_cjk("")
(True, True, True, False, False, False)
>>> join_words(["（三）不予", "公开"]), join_words(["Total", "count"]), join_words(["annual", "2024年"])
('（三）不予公开', 'Total count', 'annual 2024年')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

# --------------------------------------------------------------------------- fetch roles


class Role:
    """What a fetch was for: ``request.meta[Meta.ROLE]``, ``fetches.role`` in the archive."""

    HOME: Final = "home"  # a start URL
    SECTION: Final = "section"  # a page discovery went through (信息公开, a department …)
    LISTING: Final = "listing"  # a page (or API answer) of a 年报 column
    REPORT: Final = "report"  # a report's page (or the report itself, when the list links a file)
    ATTACHMENT: Final = "attachment"  # a file of a report page
    OTHER: Final = "other"  # a page met on the way (a download-like link that was a page)
    PAGE: Final = "page"  # a page of a WARC someone else recorded (import-warc cannot tell more)
    ROBOTS: Final = "robots"  # robots.txt


FETCH_ROLES: Final = tuple(v for k, v in vars(Role).items() if k.isupper())
# Every role of a page (an HTML document, not a file): what counts as "pages" in the progress,
# the per-site health counts, the pool's memory of a site and import-warc's summary.
PAGE_ROLES: Final = (Role.HOME, Role.SECTION, Role.LISTING, Role.REPORT, Role.OTHER, Role.PAGE)
# The subset a visitor would open first: the pages a WACZ lists in ``pages/pages.jsonl``.
ENTRY_PAGE_ROLES: Final = (Role.HOME, Role.REPORT)
# The roles whose bodies are files kept under a file name.
FILE_ROLES: Final = (Role.ATTACHMENT,)


# --------------------------------------------------------------------------- request.meta keys


class Meta:
    """Keys of ``request.meta`` that nianbao sets and reads. (Scrapy's and scrapy-playwright's
    own keys — ``depth``, ``redirect_urls``, ``playwright`` … — are their API and keep their
    names where they are used.)"""

    ROLE: Final = "role"  # a Role (one of FETCH_ROLES)
    LINK_TEXT: Final = "link_text"  # the text of the link that led here
    REFERER: Final = "referer"  # the page that linked here
    COLUMN: Final = "column"  # the 年报 column a request belongs to
    PAGED: Final = "paged"  # a further page of a listing (not a discovery page)
    PAGE_HOPS: Final = "page_hops"  # pages of the same listing walked so far (depth middleware)
    SPECULATIVE: Final = "speculative"  # found by its score: may be missing from a recording
    PROBE_DOCUMENT: Final = "probe_document"  # a download-like link: keep it only if a document
    SUB_COLUMNS_ASIDE: Final = "sub_columns_aside"  # a listing kept sub-column links aside
    LIST_PAGE: Final = "list_page"  # a script-paged list rendered and clicked to this page
    ITEMS_BEFORE: Final = "items_before"  # the list's items before that click (no change: stop)
    SOFT_404: Final = "soft_404"  # a 200 page that says "not found"
    PLATFORM: Final = "platform"  # the CMS adapter that asked: its answer goes back to it
    REVALIDATE: Final = "revalidate"  # the archived copy a conditional request checks
    DONT_REVALIDATE: Final = "dont_revalidate"  # fetch in full even if archived
    FETCH_ID: Final = "fetch_id"  # the archive's row of this fetch
    FRONTIER_FP: Final = "frontier_fp"  # the request's fingerprint in the persistent frontier
    BODY_FILE: Final = "nianbao_body_file"  # a large body spooled to a file
    RETRY_AFTER_TIMES: Final = "retry_after_times"  # Retry-After waits so far
    # An adapter's own paging state, riding along with the requests it made.
    ASPNET_PAGE: Final = "aspnet_page"
    HANWEB: Final = "hanweb"
    HANWEB_UNIT: Final = "hanweb_unit"
    JSONLIST: Final = "jsonlist"
    GKMLPT_PAGE: Final = "gkmlpt_page"
    GKMLPT_SID: Final = "gkmlpt_sid"
    TRSAPI_FORM: Final = "trsapi_form"
    TRSAPI_PLANNED: Final = "trsapi_planned"


# --------------------------------------------------------------------------- CJK characters

# Characters Chinese (and Japanese) text sets without spaces around them: CJK radicals,
# punctuation, kana, bopomofo, ideographs, compatibility ideographs, vertical and full-width
# forms, supplementary ideographs, and the typographic quotes, ellipsis, dash and middle dot
# that Chinese text sets full width.
CJK_CHARS: Final = (
    "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
    "\u201c\u201d\u2018\u2019\u2026\u2014\u00b7"
)
CJK_CHAR: Final = re.compile(f"[{CJK_CHARS}]")
# The subset that spells words: Han ideographs (no punctuation, no full-width forms).
HAN_CHAR: Final = re.compile("[\u4e00-\u9fff]")


def is_cjk(ch: str) -> bool:
    """Whether ``ch`` (one character; "" is not) is set without spaces around it."""
    return bool(ch) and CJK_CHAR.match(ch) is not None


def join_words(parts: Iterable[str]) -> str:
    """Pieces of text (a cell's lines, wrapped lines) joined: nothing next to CJK characters,
    one space between other words."""
    out = ""
    for part in parts:
        if not part:
            continue
        if out and not (is_cjk(out[-1]) or is_cjk(part[0])):
            out += " "
        out += part
    return out


# --------------------------------------------------------------------------- text and titles

_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[\s\u3000\xa0]+")

# The report proper: 政府信息公开(工作)年度报告, 信息公开年报, 政务公开工作年度报告, …
_REPORT = re.compile(
    r"(政府)?(信息|政务)公开(工作)?(年度|年)?(报告|年报)"
    r"|(政府)?(信息|政务)公开(工作)?情况(的)?(年度)?报告"
)
# Titles that match the pattern above but are something else (PORTALS.md "Decoys").
_DECOY = re.compile(
    r"关于(做好|印发|开展|报送|编制|发布|组织)|通知|编制发布|工作要点|考核|评估|报表"
    r"|法治政府|决算|预算|统计公报|国民经济|网站(工作)?年度|年度工作报表|督查|整改"
)
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_COLUMN = re.compile(
    r"^(政府|部门)?(信息|政务)公开(工作)?(年度报告|年报)(专栏)?$|^年度报告$|^年报$|^信息公开年度报告$"
)


def normalize(text: str) -> str:
    """Text with tags and every kind of space removed (labels and titles are often split by
    tags, and spaced out: ``索 引 号``).

    >>> normalize("政府信息<br>公开\u3000年报 ")
    '政府信息公开年报'
    """
    return _SPACE.sub("", _TAGS.sub("", text or ""))


def is_report_title(title: str) -> bool:
    """The title of a disclosure annual report: the report pattern, a year, and no decoy."""
    text = normalize(title)
    return bool(_REPORT.search(text)) and not _DECOY.search(text) and year_in_title(text) is not None


def is_decoy_title(title: str) -> bool:
    """Text of something that is not a disclosure report though it may look like one
    (法治政府建设年度报告, 政府网站年度工作报表, notices about compiling reports, 决算 …).

    >>> is_decoy_title("某市2019年政府网站年度工作报表"), is_decoy_title("政府信息公开年报")
    (True, False)
    """
    return bool(_DECOY.search(normalize(title)))


def year_in_title(title: str) -> int | None:
    match = _YEAR.search(normalize(title))
    return int(match.group(1)) if match else None


def is_column_label(text: str) -> bool:
    """The link text of a portal's 年报 column (not of one report)."""
    return bool(_COLUMN.match(normalize(text)))
