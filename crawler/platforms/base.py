"""What a CMS adapter provides. One small module per platform subclasses :class:`Platform`.

The spider asks the first platform whose :meth:`detect` accepts a page for the page's
item links, further listing pages and attachments; :class:`~crawler.platforms.generic.Generic`
accepts everything and comes last.

Listings paged by an API (Hanweb ``dataproxy.jsp``, TRS list APIs, gkmlpt JSON …): a
platform's :meth:`next_pages` yields ready :class:`~scrapy.Request` objects for the API and
marks them with ``meta={Meta.PLATFORM: self.name}``. The answers (XML, JSON) come back to the
same platform, whatever their shape, because :func:`~crawler.platforms.platform_for`
honours that mark before trying ``detect``. Leave ``callback`` unset: the spider routes
the answer to its listing step (and fills in ``role``/``referer``).

Every method gets the page already decoded (its charset decided once, from its bytes when the
labels lie, by :func:`crawler.charset.decoded` in the spider): no adapter re-decodes. What an
article page says about itself (索引号, 发布机构, 发布日期 …) is the parsers' business
(``parsers/formats/html.py`` reads it from the archived bytes, so a reparse can improve it).
Helpers several adapters use live in :mod:`crawler.platforms.shared`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar
from weakref import WeakKeyDictionary

from scrapy import Request
from scrapy.http import TextResponse

from crawler.links import Link, extract_links
from crawler.platforms.shared import attachments


class Platform:
    name: ClassVar[str] = "base"

    @classmethod
    def detect(cls, response: TextResponse) -> bool:
        raise NotImplementedError

    def item_links(self, response: TextResponse) -> Iterable[Link]:
        """Links to the items (articles or files) listed on a listing page."""
        return extract_links(response.selector, response.url)

    def next_pages(self, response: TextResponse) -> Iterable[Link | Request]:
        """Further pages of the same listing (links, or ready requests for API paging)."""
        return []

    def attachment_links(self, response: TextResponse) -> Iterable[Link]:
        """Files attached to an article page, linked in any form (the one finder,
        :func:`~crawler.platforms.shared.attachments`; an adapter adds its CMS's body container,
        whose uploaded images count too)."""
        return attachments(response)


def mentions(response: TextResponse, *words: str) -> bool:
    """Whether the page may hold one of ``words`` (lower-case ASCII) in any letter case.

    ``detect`` asks every platform in turn about every page, and a case-insensitive regex
    scan is slow; a page that mentions none of the words a pattern's every match contains
    cannot match it, so the scan is skipped. ``True`` means "maybe": search as before.

    >>> from scrapy.http import HtmlResponse
    >>> page = HtmlResponse("http://x.test/", body=b"<div class='TRS_Editor'>", encoding="utf-8")
    >>> mentions(page, "trs_editor"), mentions(page, "ucap")
    (True, False)
    """
    try:
        lowered = _LOWERED[response]
    except KeyError:
        lowered = _LOWERED[response] = _lowered(response.text)
    return lowered is None or any(word in lowered for word in words)


def _lowered(text: str) -> str | None:
    """``text.lower()``; None when the text holds a letter that re.IGNORECASE takes for an
    ASCII ``i`` or ``s`` but ``lower()`` does not (İ, ı, ſ): then nothing can be ruled out."""
    if any(char in text for char in ("\u0130", "\u0131", "\u017f")):
        return None
    return text.lower()


# Each page's lower-cased text, worked out once for all platforms; gone with the page.
_LOWERED: WeakKeyDictionary[TextResponse, str | None] = WeakKeyDictionary()
