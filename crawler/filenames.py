"""Attachment names from Content-Disposition or the URL, decoded and made safe.

Portals send names as raw GBK, raw UTF-8, percent-encoded, or RFC 5987 ``filename*=``.
The archive stores bodies by sha256, so a name is only ever a label — but it is still
sanitised, for exports that may write it to disk.

>>> content_disposition_filename(b"attachment; filename*=UTF-8''%E7%BB%9F%E8%AE%A1%E8%A1%A8.docx")
'统计表.docx'
>>> content_disposition_filename('attachment; filename="统计表.xls"'.encode("gbk"))
'统计表.xls'
>>> url_filename("http://x.test/module/download/downfile.jsp?classid=0&filename=ab12.pdf")
'ab12.pdf'
>>> safe_filename("../../etc/passwd")
'passwd'
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import parse_qs, unquote, unquote_to_bytes, urlsplit

_RFC5987 = re.compile(rb"filename\*\s*=\s*([\w!#$&+.^`|~-]+)'[^']*'([^;]+)", re.I)
_PLAIN = re.compile(rb'filename\s*=\s*(?:"([^"]*)"|([^;]+))', re.I)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def content_disposition_filename(value: bytes | None) -> str | None:
    if not value:
        return None
    match = _RFC5987.search(value)
    if match:
        charset = match.group(1).decode("ascii", "replace").lower()
        return safe_filename(_decode(unquote_to_bytes(match.group(2).strip()), charset))
    match = _PLAIN.search(value)
    if match:
        raw = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        if b"%" in raw:
            raw = unquote_to_bytes(raw)
        return safe_filename(_decode(raw))
    return None


def url_filename(url: str) -> str | None:
    parts = urlsplit(url)
    for key in ("filename", "fileName", "name", "file"):
        values = parse_qs(parts.query).get(key)
        if values and "." in values[0]:
            return safe_filename(values[0])
    name = PurePosixPath(unquote(parts.path)).name
    return safe_filename(name) if name else None


def safe_filename(name: str) -> str | None:
    """The last path component, with control and reserved characters removed."""
    name = name.replace("\\", "/").split("/")[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    return name[:200] or None


def _decode(raw: bytes, charset: str | None = None) -> str:
    for encoding in filter(None, [charset, "utf-8", "gb18030"]):
        try:
            return raw.decode("gb18030" if encoding in ("gbk", "gb2312") else encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("latin-1")
