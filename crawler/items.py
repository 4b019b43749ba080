"""The items the spider yields: one per report page or attachment fetched, so Scrapy's feed
exports work as Scrapy users expect (``scrapy crawl annual_reports -a site=NAME -O reports.jsonl``).

An item says what was found and where it is archived; the archive middleware has already
stored the bytes (``sha256``, ``fetch_id`` in the response's meta). Whether it is really a
report is decided later, from its content (parsers/recognize.py).
"""

from __future__ import annotations

from typing import Any, TypedDict

from scrapy.http import Response

from crawler.filenames import content_disposition_filename, url_filename
from vocabulary import Meta, Role, year_in_title


class ReportItem(TypedDict):
    site: str | None
    role: str  # report (the report's page, or the report itself as a file) | attachment
    title: str | None  # the link text it was found under
    url: str
    final_url: str
    year: int | None  # from the title, when it names one
    sha256: str | None  # the archived bytes (objects/ab/cd/<sha256>)
    fetch_id: int | None
    file_name: str | None  # Content-Disposition or the URL's last segment
    media_type: str | None  # as the server declared it
    referer: str | None


def report_item(response: Response, site: str | None) -> ReportItem:
    """The item for a report page or file the spider has just received."""
    meta = response.meta
    title = (meta.get(Meta.LINK_TEXT) or "").strip() or None
    content_type = response.headers.get(b"Content-Type")
    return ReportItem(
        site=site,
        role=meta.get(Meta.ROLE) or Role.REPORT,
        title=title,
        url=(meta.get("redirect_urls") or [response.url])[0],
        final_url=response.url,
        year=year_in_title(title) if title else None,
        sha256=meta.get("sha256"),
        fetch_id=meta.get(Meta.FETCH_ID),
        file_name=content_disposition_filename(response.headers.get(b"Content-Disposition"))
        or url_filename(response.url),
        media_type=content_type.decode("latin-1").split(";")[0].strip() if content_type else None,
        referer=meta.get(Meta.REFERER),
    )


def site_name(spider: Any) -> str | None:
    return getattr(getattr(spider, "site", None), "name", None)
