"""ZIP archives (that are not Office packages) → a :class:`Document` whose attachments are the
parsed members.

Portals sometimes publish a report as a ZIP of the report and its statistics table. Each
member is unpacked **in memory** and parsed by the format registry into its own Document in
``Document.attachments``, with ``meta["member"]`` = the member's (sanitised) name. A member that
cannot be read or parsed does not fail the archive: it is listed in
``meta["member_errors"]``, a JSON list of ``{"member": …, "error": …}``.

Limits (:mod:`parsers.limits`) against hostile archives:

- at most :data:`~parsers.limits.ZIP_MAX_MEMBERS` members (counted over nested archives too);
  more is a ParseError;
- at most :data:`~parsers.limits.ZIP_MAX_TOTAL_BYTES` unpacked in all, and no member inflating
  more than :data:`~parsers.limits.ZIP_MAX_RATIO` times its packed size — both counted on the
  bytes actually inflated, chunk by chunk, not read from the headers; an offending member is
  rejected (and noted) as soon as it crosses the line;
- unsafe names (``..`` components, absolute paths, drive letters) are skipped and noted;
  macOS metadata (``__MACOSX/``, ``._*``, ``.DS_Store``) is skipped silently;
- a ZIP inside the ZIP is opened (``ZIP_MAX_DEPTH`` = 1), one inside that is not;
- all members together get :data:`~parsers.limits.ZIP_TIME_BUDGET` seconds.

Names without the UTF-8 flag (bit 11) are usually GBK from Chinese Windows: zipfile decoded them
as cp437, so they are turned back into bytes and decoded as UTF-8 if valid, else GB18030.

>>> _safe_name("报告/../../etc/passwd"), _safe_name("C:\\\\x.doc"), _safe_name("./a\\\\b.pdf")
(None, None, 'a/b.pdf')
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field

from parsers import limits
from parsers.document import Document, ParseError
from parsers.formats._zipsafe import zip_names

NAME = "zip"
MEDIA_TYPE = "application/zip"

_CHUNK = 64 * 1024
_UTF8_FLAG = 0x800
# Office packages are ZIPs too, but a member-by-member reading of them means nothing.
_OOXML_MARKER = "[Content_Types].xml"
_ODF_MIMETYPE = "mimetype"


class _Rejected(Exception):
    """A member that is not unpacked (the message says why)."""


@dataclass
class _Budget:
    """What is left for the whole archive, nested archives included."""

    bytes_left: int = field(default_factory=lambda: limits.ZIP_MAX_TOTAL_BYTES)
    members_left: int = field(default_factory=lambda: limits.ZIP_MAX_MEMBERS)


# --------------------------------------------------------------------------- sniffing


def sniff(data: bytes) -> bool:
    """A readable ZIP that is not an OOXML (DOCX/XLSX/PPTX…) or ODF package.

    >>> sniff(b"PK\\x05\\x06" + bytes(18)), sniff(b"PK\\x03\\x04 truncated")
    (True, False)
    """
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return False
    names = zip_names(data)
    if names is None:
        return False
    return _OOXML_MARKER not in names and not (names and names[0] == _ODF_MIMETYPE)


# --------------------------------------------------------------------------- member names


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name, GBK names (no UTF-8 flag) recovered from zipfile's cp437 reading."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        raw = info.orig_filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", "replace")


def _safe_name(name: str) -> str | None:
    """A relative, normalised member path, or None when the name tries to leave the archive."""
    path = re.sub(r"[\x00-\x1f]", "", name).replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return None
    parts = path.split("/")
    if ".." in parts:
        return None
    return "/".join(p for p in parts if p not in ("", ".")) or None


def _is_os_metadata(path: str) -> bool:
    base = path.rsplit("/", 1)[-1]
    return path.startswith("__MACOSX/") or base.startswith("._") or base == ".DS_Store"


# --------------------------------------------------------------------------- unpacking


def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, size: int) -> bytes:
    """Inflate one member, counting real output against the ratio and the archive budget."""
    packed = max(1, min(info.compress_size, size))  # cannot consume more than the archive holds
    chunks: list[bytes] = []
    total = 0
    try:
        with z.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > budget.bytes_left:
                    raise _Rejected(f"archive unpacks to more than {limits.ZIP_MAX_TOTAL_BYTES} bytes in all")
                if total > limits.ZIP_RATIO_FLOOR and total > limits.ZIP_MAX_RATIO * packed:
                    raise _Rejected(
                        f"inflates more than {limits.ZIP_MAX_RATIO}:1 "
                        f"({packed} packed bytes, over {total} unpacked): zip bomb?"
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise _Rejected(f"corrupt member: {exc}") from exc
    except (RuntimeError, NotImplementedError) as exc:  # encrypted, unsupported method
        raise _Rejected(f"cannot unpack: {exc}") from exc
    budget.bytes_left -= total
    return b"".join(chunks)


def _parse_member(payload: bytes, budget: _Budget, depth: int) -> Document:
    """Parse one member through the format registry (an inner ZIP through this module)."""
    from parsers import formats  # lazily: the registry imports this module

    module = formats.sniff(payload)
    if (module is not None and module.NAME == NAME) or (module is None and sniff(payload)):
        if depth >= limits.ZIP_MAX_DEPTH:
            depth_limit = limits.ZIP_MAX_DEPTH
            raise ParseError(f"a ZIP nested more than {depth_limit} level deep: not opened")
        return _parse(payload, budget, depth + 1)
    if module is None:
        raise ParseError("unrecognised file format (no parser sniffs these bytes)")
    return module.parse(payload)


def _parse(data: bytes, budget: _Budget, depth: int) -> Document:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ParseError(f"corrupt or truncated ZIP: {exc}") from exc
    with z:
        infos = [i for i in z.infolist() if not i.is_dir()]
        if len(infos) > budget.members_left:
            raise ParseError(f"ZIP has {len(infos)} members, over the limit of {limits.ZIP_MAX_MEMBERS}")
        budget.members_left -= len(infos)
        attachments: list[Document] = []
        errors: list[dict[str, str]] = []
        for info in infos:
            name = _member_name(info)
            path = _safe_name(name)
            if path is None:
                errors.append({"member": name, "error": "unsafe path (absolute or ..): skipped"})
                continue
            if _is_os_metadata(path):
                continue
            try:
                limits.check_time(f"member {path}")
                document = _parse_member(_read_member(z, info, budget, len(data)), budget, depth)
            except (_Rejected, ParseError) as exc:
                errors.append({"member": path, "error": str(exc)})
                continue
            document.meta["member"] = path
            attachments.append(document)
    meta = {"member_errors": json.dumps(errors, ensure_ascii=False)} if errors else {}
    return Document(format=NAME, attachments=attachments, meta=meta)


def parse(data: bytes) -> Document:
    """Unpack and parse every member within the limits (see module docstring)."""
    with limits.time_budget(limits.ZIP_TIME_BUDGET):
        return _parse(data, _Budget(), 0)
