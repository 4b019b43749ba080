"""One decision about a page's charset, made from its bytes when the labels lie.

Portals often send GBK bytes under ``charset=utf-8`` (or UTF-8 under ``gb2312``, or a server's
default ``iso-8859-1``). Scrapy believes the header, so the page decodes to mojibake and its
links say nothing. Here the bytes decide: a body that is valid UTF-8 (and not plain ASCII) is
UTF-8, else one that is valid GB18030 (a superset of GBK and GB2312) is GB18030, else the
label stands. The spider asks once per page (:func:`decoded`) and hands the re-decoded page to
every step, and records the disagreement as a note.

>>> from scrapy.http import HtmlResponse
>>> gbk = "<p>政府信息公开年报</p>".encode("gbk")
>>> page = HtmlResponse("http://x.test/", body=gbk, headers={"Content-Type": "text/html; charset=utf-8"})
>>> fixed, note = decoded(page)
>>> fixed.css("p::text").get(), note
('政府信息公开年报', 'charset: header/meta says utf-8, the bytes are gb18030')
>>> utf8 = HtmlResponse("http://x.test/", body="<p>年报</p>".encode(),
...                     headers={"Content-Type": "text/html; charset=gb2312"})
>>> decoded(utf8)[0].css("p::text").get(), decoded(utf8)[1]
('年报', 'charset: header/meta says gb18030, the bytes are utf-8')
>>> honest_page = HtmlResponse("http://x.test/", body=gbk, headers={"Content-Type": "text/html; charset=gbk"})
>>> decoded(honest_page)[1] is None
True

A decision is remembered per response object, and never keeps one alive (a response holds
its request, and that the spider and the whole crawler of its site):

>>> import gc, weakref
>>> alive = [weakref.ref(r) for r in (page, fixed, utf8, honest_page)]
>>> del page, fixed, utf8, honest_page
>>> _ = gc.collect()
>>> [ref() for ref in alive]
[None, None, None, None]
"""

from __future__ import annotations

import weakref
from weakref import WeakKeyDictionary

from scrapy.http import Response, TextResponse

REPLACEMENT = "\ufffd"
_FAMILIES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "ascii": "ascii",
    "us-ascii": "ascii",
}


def charset_family(name: str | None) -> str:
    """A label reduced to what it decodes like (``gb2312`` → ``gb18030``).

    >>> charset_family("GB2312"), charset_family("UTF8"), charset_family("cp1252")
    ('gb18030', 'utf-8', 'cp1252')
    """
    key = (name or "").strip().lower().replace("_", "-")
    return _FAMILIES.get(key, key)


def bytes_charset(body: bytes) -> str | None:
    """The charset the bytes themselves are valid in: UTF-8, else the one the document declares
    in its own ``<meta>`` (read by Beautiful Soup's encoding detector: a header that lies says
    nothing about the page's own declaration), else GB18030; None for plain ASCII (any label
    fits) or bytes valid in none of them.

    >>> bytes_charset("年报".encode()), bytes_charset("年报".encode("gbk")), bytes_charset(b"abc")
    ('utf-8', 'gb18030', None)
    >>> big5 = '<meta charset="big5"><p>政府資訊公開年報</p>'.encode("big5")
    >>> bytes_charset(big5), "政府資訊公開年報" in big5.decode(bytes_charset(big5))
    ('big5', True)
    """
    if body.isascii():
        return None
    for charset in ("utf-8", _declared_in(body), "gb18030"):
        if charset is None:
            continue
        try:
            body.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
        return charset_family(charset)
    return None


def _declared_in(body: bytes) -> str | None:
    from bs4.dammit import EncodingDetector

    return EncodingDetector.find_declared_encoding(body[:4096], is_html=True)


def decoded(response: Response) -> tuple[Response, str | None]:
    """The response decoded as its bytes say, and a note when that is not what it was labelled
    (None when they agree). Non-text responses come back as they are."""
    if not isinstance(response, TextResponse):
        return response, None
    cached = _DECIDED.get(response)
    if cached is not None:
        ref, note = cached
        fixed = ref() if ref is not None else response
        if fixed is not None:
            return fixed, note
    actual = bytes_charset(response.body)
    declared = response.encoding
    if actual is None or charset_family(declared) == actual:
        _DECIDED[response] = (None, None)
        return response, None
    note = f"charset: header/meta says {declared}, the bytes are {actual}"
    fixed = response.replace(encoding=actual)
    # Weak both ways: an entry's value must not keep its key (or any response) alive.
    _DECIDED[response] = (weakref.ref(fixed), note)
    _DECIDED[fixed] = (None, note)
    return fixed, note


def has_replacement(response: Response) -> bool:
    """Whether a text response still decodes with replacement characters (bytes valid in no
    charset we know: a pattern not handled yet)."""
    return isinstance(response, TextResponse) and REPLACEMENT in response.text


# Decisions per response object, gone with it: (the re-decoded response, weakly, or None for
# the response itself; the note).
_DECIDED: WeakKeyDictionary[Response, tuple[weakref.ref[Response] | None, str | None]] = WeakKeyDictionary()
