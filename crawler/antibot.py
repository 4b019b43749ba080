"""Recognise anti-bot challenge pages and soft 404s — to report them, never to solve them.

Many government portals sit behind a WAF or CDN that answers an unknown client with a
JavaScript challenge instead of the page. A polite crawler must not try to pass it (no JS
execution, no cookie replay): it reports the site as *blocked*, naming the vendor, and stops.
What the challenges look like (gathered from public crawler code and issue threads):

* **瑞数 Rivers Security** — the first answer is 412 (202 in some versions): a
  ``<meta … r='m'>`` seed, an inline ``$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=…;
  $_ts.cd="…"`` script and an external VM script, with a cookie named ``FSSBBIl1UgzbN7N<port>S``
  (older versions) or a random name. Pages that got through are 200 *and still carry a
  ``$_ts`` script*, so the script alone is no proof of a block.
* **加速乐 Jiasule** — 521 with an obfuscated ``document.cookie=…__jsl_clearance…;location.href=…``
  script, then a second 521 calling ``go({…"tn":"__jsl_clearance_s"…})``; cookie ``__jsluid_h``
  / ``__jsluid_s``.
* **C3VK** — a tiny page ``document.cookie="C3VK=…; path=/; max-age=300"`` plus a reload.
* **WZWS (网宿 Wangsu)** — a JS page with ``dynamicurl="/WZWSREL…"``, ``wzwsquestion``,
  ``wzwsfactor``, ``wzwsmethod``; cookies ``wzws_cid``, ``wzwsconfirm``…; geo-blocked visitors
  get a 403 page saying ``GeoBL``.
* **EdgeOne (腾讯云)** and others — a script-only page that sets a cookie and reloads; EdgeOne
  answers carry ``EO-LOG-UUID`` / ``EO-Cache-Status`` and ``Server: TencentEdgeOne``.

Rule of thumb: a challenge status (202, 412, 521, 403) with a vendor marker, or a *thin* page
(under ~2 KB, or with next to no visible text) with a marker. A normal page that merely talks
about cookies, or a 瑞数 site's real 200 page, is not a challenge.

>>> page = b"<html><head><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=1;</script>"
>>> found = detect_challenge(412, {}, page + b"</head><body></body></html>")
>>> found.vendor, str(found)
('ruishu', '瑞数 Rivers Security (HTTP 412 with a $_ts challenge script)')
>>> print(detect_challenge(200, {}, b"<html><body><p>Cookie policy</p></body></html>"))
None
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

SHORT_BODY = 2048  # bytes: challenge pages are tiny (瑞数 pages aside, which have a status)
THIN_TEXT = 100  # visible characters below which a page shows nothing but scripts
SCAN_BYTES = 65536  # markers sit near the top; never decode a 200 MB body to look for them
SOFT_404_MAX_TEXT = 500  # visible characters a "page not found" page may carry besides the message
SOFT_404_MAX_BODY = 512 * 1024

VENDORS = {
    "ruishu": "瑞数 Rivers Security",
    "jiasule": "加速乐 Jiasule",
    "c3vk": "C3VK cookie challenge",
    "wzws": "WZWS 网宿 Wangsu",
    "edgeone": "EdgeOne 腾讯云",
    "js-cookie": "JS cookie challenge",
    "redirect-loop": "cookie redirect loop",
}


@dataclass(frozen=True)
class Challenge:
    vendor: str  # a key of VENDORS, stored as sites.blocked_vendor
    name: str  # for people: "瑞数 Rivers Security"
    evidence: str  # what gave it away: "HTTP 412 with a $_ts challenge script"

    def __str__(self) -> str:
        return f"{self.name} ({self.evidence})"


def _challenge(vendor: str, evidence: str) -> Challenge:
    return Challenge(vendor=vendor, name=VENDORS[vendor], evidence=evidence)


# -- page helpers -----------------------------------------------------------------------------
_INVISIBLE = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_UNCLOSED_SCRIPT = re.compile(r"<(script|style)\b.*", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")


def visible_text(markup: str) -> str:
    """The text a browser would show, whitespace collapsed (scripts and styles dropped).

    >>> visible_text("<script>var a='<b>x</b>';</script><p>页面&nbsp;不存在</p><!-- c -->")
    '页面 不存在'
    """
    text = _INVISIBLE.sub(" ", markup)
    text = _UNCLOSED_SCRIPT.sub(" ", text)  # a body cut off inside a script
    text = html_lib.unescape(_TAG.sub(" ", text))
    return " ".join(text.split())


def _header(headers: Mapping[str, str], name: str) -> str:
    name = name.lower()
    return "\n".join(v for k, v in headers.items() if k.lower() == name)


_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)(?:</script\s*>|$)", re.S | re.I)


def _scripts(markup: str) -> str:
    """The inline scripts of a page, joined.

    >>> _scripts("<p>x</p><script type='text/javascript'>a=1</script><script src=b.js></script>")
    'a=1\\n'
    """
    return "\n".join(m.group(1) for m in _SCRIPT.finditer(markup))


def _sets_cookie_and_moves_on(markup: str) -> bool:
    """A page whose script writes a cookie and then reloads or leaves: the challenge move.

    >>> _sets_cookie_and_moves_on('<script>document.cookie="a=1";location.reload();</script>')
    True
    >>> _sets_cookie_and_moves_on("<script>var c = document.cookie; if (c) show(c);</script>")
    False
    >>> _sets_cookie_and_moves_on('document.cookie="a=1";location.reload();')  # not a script
    False
    """
    script = _scripts(markup)
    writes = re.search(r"\.cookie\s*=(?!=)", script)
    moves = re.search(r"location(\.href)?\s*=(?!=)|location\.(reload|replace|assign)\s*\(", script)
    return bool(writes and moves)


@dataclass(frozen=True)
class _Page:
    status: int
    markup: str  # the first SCAN_BYTES, decoded leniently (the markers are ASCII)
    cookies: str  # Set-Cookie values, one a line
    headers: Mapping[str, str]
    short: bool  # under SHORT_BODY bytes

    @cached_property
    def textless(self) -> bool:
        """Next to no visible text. Worked out only when a rule gets that far: most pages
        carry no marker at all, and reducing a page to its text is the costly step."""
        return len(visible_text(self.markup)) < THIN_TEXT

    @property
    def thin(self) -> bool:
        return self.short or self.textless


# -- vendors ----------------------------------------------------------------------------------
_RS_SCRIPT = re.compile(r"\$_ts\s*=\s*window\s*\[\s*['\"]\$_ts['\"]\s*\]|\$_ts\.(cd|nsd)\s*=")
_RS_COOKIE = "FSSBBIl1UgzbN7N"


def _ruishu(page: _Page) -> Challenge | None:
    script = "$_ts" in page.markup and bool(_RS_SCRIPT.search(page.markup))  # (cheap test first)
    cookie = _RS_COOKIE in page.cookies
    if page.status in (202, 412) and (script or cookie):
        what = "a $_ts challenge script" if script else f"a {_RS_COOKIE}… cookie"
        return _challenge("ruishu", f"HTTP {page.status} with {what}")
    if script and page.thin:
        return _challenge("ruishu", f"HTTP {page.status} page that is only a $_ts challenge script")
    return None


def _jiasule(page: _Page) -> Challenge | None:
    # (The go({… "tn": "__jsl_clearance…"}) call holds the name too: one substring test covers both.)
    clearance = "__jsl_clearance" in page.markup
    if page.status == 521:
        if clearance:
            return _challenge("jiasule", "HTTP 521 with a __jsl_clearance script")
        if "__jsluid" in page.cookies:
            return _challenge("jiasule", "HTTP 521 with a __jsluid cookie")
        if _sets_cookie_and_moves_on(page.markup):
            return _challenge("jiasule", "HTTP 521 with a cookie-setting script")
    elif clearance and page.thin:
        return _challenge("jiasule", f"HTTP {page.status} page with a __jsl_clearance script")
    return None


_WZWS = re.compile(r"wzws(challenge|question|factor|method|params|confirm|template|_cid)|WZWSREL")


def _wzws(page: _Page) -> Challenge | None:
    geobl = "GeoBL" in page.markup
    marker = _has_wzws(page.markup) or "wzws" in page.cookies.lower()
    if page.status == 403 and (geobl or marker):
        return _challenge("wzws", "HTTP 403 GeoBL block page" if geobl else "HTTP 403 with wzws markers")
    if (geobl or _has_wzws(page.markup)) and page.thin:
        what = "a GeoBL block page" if geobl else "a wzws challenge script"
        return _challenge("wzws", f"HTTP {page.status} with {what}")
    return None


def _has_wzws(markup: str) -> bool:
    # Every match holds "wzws" or "WZWSREL": most pages have neither, and need no search.
    return ("wzws" in markup or "WZWSREL" in markup) and bool(_WZWS.search(markup))


_C3VK = re.compile(r"C3VK=")


def _c3vk(page: _Page) -> Challenge | None:
    script = _scripts(page.markup) if "C3VK=" in page.markup else ""  # (none: nothing to find)
    in_script = bool(_C3VK.search(script)) and "cookie" in script
    if (in_script or "C3VK=" in page.cookies) and page.thin:
        return _challenge("c3vk", f"HTTP {page.status} page setting a C3VK cookie")
    return None


def _is_edgeone(headers: Mapping[str, str]) -> bool:
    server = _header(headers, "server").lower()
    return "edgeone" in server or bool(_header(headers, "eo-log-uuid") or _header(headers, "eo-cache-status"))


def _js_cookie(page: _Page) -> Challenge | None:
    # Generic, hence stricter: tiny AND textless, and the script both sets a cookie and moves on.
    if page.short and page.textless and _sets_cookie_and_moves_on(page.markup):
        vendor = "edgeone" if _is_edgeone(page.headers) else "js-cookie"
        return _challenge(vendor, f"HTTP {page.status} script-only page that sets a cookie and reloads")
    return None


_BINARY_MAGIC = (b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"{\\rtf")

_RULES: tuple[Callable[[_Page], Challenge | None], ...] = (
    _ruishu,
    _jiasule,
    _wzws,
    _c3vk,
    _js_cookie,
)


def detect_challenge(status: int, headers: Mapping[str, str], body: bytes) -> Challenge | None:
    """The anti-bot challenge this response is, or None for an ordinary response.

    ``headers`` maps header names (any case) to values; several Set-Cookie headers may be
    joined by newlines. Only the first 64 KB of ``body`` are looked at.

    >>> jsl = b"<script>document.cookie=('_')+('_')+('jsl_clearance_s=1');location.href=p</script>"
    >>> detect_challenge(521, {"Set-Cookie": "__jsluid_h=abc; path=/"}, jsl).vendor
    'jiasule'
    >>> detect_challenge(403, {}, b"<html><body>Access denied (GeoBL)</body></html>").evidence
    'HTTP 403 GeoBL block page'
    >>> c3vk = b'<script>document.cookie="C3VK=0a1b2c; path=/";location.reload();</script>'
    >>> detect_challenge(200, {}, c3vk).vendor
    'c3vk'
    >>> edge = {"Server": "TencentEdgeOne", "EO-LOG-UUID": "1"}
    >>> script = b'<script>document.cookie="t=9";location.replace(location.href)</script>'
    >>> detect_challenge(200, edge, script).vendor
    'edgeone'
    >>> print(detect_challenge(404, {}, b"<html><body>Not Found</body></html>"))
    None
    """
    if body.startswith(_BINARY_MAGIC):
        return None  # a PDF, Office or ZIP file is content, whatever bytes it holds
    markup = body[:SCAN_BYTES].decode("utf-8", "replace")
    page = _Page(
        status=status,
        markup=markup,
        cookies=_header(headers, "set-cookie"),
        headers=headers,
        short=len(body) < SHORT_BODY,
    )
    for rule in _RULES:
        found = rule(page)
        if found is not None:
            return found
    return None


def redirect_loop(url: str, redirect_urls: list[str]) -> Challenge | None:
    """A request redirected back to a URL it came from: a cookie challenge by redirect (the
    server sets a cookie and redirects to the same URL; we send no cookies, so it never ends).

    >>> redirect_loop("http://x.test/a", ["http://x.test/a"]).vendor
    'redirect-loop'
    >>> wzws = "http://x.test/WZWSREL3Q="
    >>> redirect_loop(wzws, ["http://x.test/", wzws]).vendor
    'wzws'
    >>> print(redirect_loop("https://x.test/a", ["http://x.test/a"]))
    None
    """
    if url not in redirect_urls:
        return None
    if any("WZWSREL" in u for u in [*redirect_urls, url]):
        return _challenge("wzws", "redirect loop through a WZWSREL URL")
    return _challenge("redirect-loop", "redirected back to the same URL, endless without cookies")


# -- soft 404s -------------------------------------------------------------------------------
# Judged by the page's structure, not by a number in it: a report page saying 共收到申请404件,
# a title holding 404 among other words, or a pager link "404" are ordinary pages.
_NOT_FOUND = re.compile(
    r"找不到|页面不存在|页面已(被)?删除|不存在或已(被)?删除|页面未找到|无法找到(该|此|您)|"
    r"404\s*(错误|error)|(错误|error)\s*(代码)?\s*[:：]?\s*404|page not found|not found",
    re.I,
)
# A title or heading that is nothing but the error: "404", "Error 404", "404 - 错误", "HTTP 404".
_ONLY_404 = re.compile(r"^\W*(http|error|错误)?\W*404\W*(错误|error)?\W*$", re.I)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.S | re.I)
_HEADING = re.compile(r"<h[1-3]\b[^>]*>(.*?)</h[1-3]\s*>", re.S | re.I)
# A word that every match of _NOT_FOUND or _ONLY_404 holds. Visible text is the markup less
# tags, scripts and comments, entities decoded: a page whose decoded markup holds none of
# them cannot say "not found", and is not reduced to its text at all (most pages).
_NOT_FOUND_WORDS = ("找不到", "页面不存在", "页面已", "不存在或已", "页面未找到", "无法找到", "404", "found")


def _may_say_not_found(markup: str) -> bool:
    lowered = html_lib.unescape(markup).lower()  # "Not Found" (no letter of it folds oddly)
    return any(word in lowered for word in _NOT_FOUND_WORDS)


def _says_not_found(text: str) -> bool:
    return bool(_NOT_FOUND.search(text) or _ONLY_404.match(text))


def _headings(markup: str) -> list[str]:
    """The page's title and top headings, as text."""
    found = [m.group(1) for m in _TITLE.finditer(markup)] + [m.group(1) for m in _HEADING.finditer(markup)]
    return [t for t in (visible_text(f) for f in found) if t]


def is_soft_404(status: int, body_text: str) -> bool:
    """An HTTP 200 page whose structure says the page does not exist: a short page whose title
    or heading is the error (页面不存在, "404", "Not Found"), or whose little text is a
    not-found phrase. A bare number 404 in the text is not enough.

    >>> is_soft_404(200, "<html><title>提示</title><p>对不起，您访问的页面不存在！</p></html>")
    True
    >>> is_soft_404(200, "<h1>404</h1><a href='/'>返回首页</a>")
    True
    >>> is_soft_404(404, "页面不存在")
    False
    >>> is_soft_404(200, "<p>共404条</p>")
    False
    >>> is_soft_404(200, "<title>2023年度报告</title><p>共收到申请404件，办结404件。</p>")
    False
    >>> is_soft_404(200, "<title>第404号公告</title><p>全文见附件</p>")
    False
    """
    if status != 200 or len(body_text) > SOFT_404_MAX_BODY or not _may_say_not_found(body_text):
        return False
    text = visible_text(body_text)
    if not text or len(text) > SOFT_404_MAX_TEXT:
        return False
    return bool(_NOT_FOUND.search(text)) or any(_says_not_found(h) for h in _headings(body_text))
