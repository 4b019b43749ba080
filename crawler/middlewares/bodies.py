"""Big bodies on disk, not in memory; compressed bodies inflated with a limit.

Scrapy holds every body in memory up to ``DOWNLOAD_MAXSIZE`` (200 MB): two endless downloads
at once cost 400 MB, and its decompression (``HttpCompressionMiddleware``) holds the inflated
body too. Here:

* **Streaming** — the HTTP response reader spills a body to a temp file under
  ``DATA/tmp/`` once it passes ``NIANBAO_STREAM_THRESHOLD`` (8 MB). The response then comes
  with an empty body, the flag ``streamed`` and ``meta[Meta.BODY_FILE]``; the archive
  middleware moves the file into the object store (hashing it in chunks). Such a response is a
  plain ``Response`` — an 8 MB page is no listing to follow — so the spider only archives it.
  ``DOWNLOAD_MAXSIZE`` still stops a body that never ends (a problems row says so).
* **Decompression limits** — gzip, deflate and br bodies are inflated here, chunk by chunk,
  spilling to disk past the threshold too, and refused past ``NIANBAO_DECOMPRESSED_MAXSIZE``
  (64 MB: ``Content-Encoding`` is for pages, and no report page is that big; a bomb is a
  problems row "decompression bomb").

Scrapy has no hook for where a body goes, so its private ``_ResponseReader`` is replaced by a
subclass (:func:`install_streaming_reader`); the subclass only swaps the buffer.

Priority 595: responses travel from high numbers to low, so this sees a body after redirects
(600) and before Scrapy's own decompression (590), which then finds nothing left to do.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers import http11
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.runs import Recorded, record_problem
from vocabulary import Meta

logger = logging.getLogger(__name__)

PRIORITY = 595
DEFAULT_THRESHOLD = 8 * 1024 * 1024
DEFAULT_DECOMPRESSED_MAX = 64 * 1024 * 1024
BODY_FILE = Meta.BODY_FILE  # request.meta: where a streamed body waits
_CHUNK = 64 * 1024
# "obj-…part": the object store removes such files left behind by a crash (archive/store.py).
_PREFIX, _SUFFIX = "obj-body-", ".part"


class SpillBuffer:
    """A body buffer that moves to a temp file once it passes ``threshold`` bytes. It has the
    three methods Scrapy's reader uses: ``write``, ``truncate(0)`` and ``getvalue``.

    >>> d = tempfile.mkdtemp()
    >>> small, big = SpillBuffer(4, d), SpillBuffer(4, d)
    >>> small.write(b"abc"); big.write(b"abc"); big.write(b"defg")
    >>> small.getvalue(), small.path, big.getvalue(), Path(big.close()).read_bytes()
    (b'abc', None, b'', b'abcdefg')
    """

    def __init__(self, threshold: int, directory: str | os.PathLike[str]) -> None:
        self.threshold = threshold
        self.directory = directory
        self.memory = io.BytesIO()
        self.file: Any = None
        self.size = 0

    @property
    def path(self) -> str | None:
        return self.file.name if self.file is not None else None

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.file is not None:
            self.file.write(data)
            return
        self.memory.write(data)
        if self.memory.tell() > self.threshold:
            self.file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in close() or truncate())
                dir=self.directory, prefix=_PREFIX, suffix=_SUFFIX, delete=False
            )
            self.file.write(self.memory.getvalue())
            self.memory = io.BytesIO()

    def truncate(self, size: int = 0) -> None:
        """Drop everything (Scrapy calls this when a body passes ``DOWNLOAD_MAXSIZE``)."""
        self.memory = io.BytesIO()
        self.discard()

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.file.name)
            self.file = None

    def getvalue(self) -> bytes:
        return self.memory.getvalue()

    def close(self) -> str | None:
        """Close the spill file, if any; its path."""
        if self.file is not None:
            self.file.close()
        return self.path


class StreamingResponseReader(http11._ResponseReader):
    """Scrapy's response reader with a :class:`SpillBuffer` for its buffer."""

    threshold = DEFAULT_THRESHOLD
    directory: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.directory is not None:
            self._bodybuf = SpillBuffer(self.threshold, self.directory)  # type: ignore[assignment]

    def _finish_response(self, flags: list[str] | None = None, stop_download: Any = None) -> None:
        buffer = self._bodybuf
        if isinstance(buffer, SpillBuffer) and buffer.file is not None:
            self._request.meta[BODY_FILE] = buffer.close()
            flags = [*(flags or []), "streamed"]
        super()._finish_response(flags=flags, stop_download=stop_download)

    def connectionLost(self, reason: Any = None) -> None:
        super().connectionLost(reason) if reason is not None else super().connectionLost()
        if not self._request.meta.get(BODY_FILE) and isinstance(self._bodybuf, SpillBuffer):
            self._bodybuf.discard()  # a failed or cancelled download leaves nothing behind


def install_streaming_reader(threshold: int, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    StreamingResponseReader.threshold = threshold
    StreamingResponseReader.directory = str(directory)
    http11._ResponseReader = StreamingResponseReader  # type: ignore[misc]


# -- decompression ------------------------------------------------------------------------------
class DecompressionBomb(ValueError):
    pass


def _decoders() -> dict[bytes, Callable[[], Any]]:
    import brotli  # a Scrapy dependency (brotli or brotlicffi)

    return {
        b"gzip": lambda: zlib.decompressobj(16 + zlib.MAX_WBITS),
        b"x-gzip": lambda: zlib.decompressobj(16 + zlib.MAX_WBITS),
        b"deflate": lambda: zlib.decompressobj(),
        b"br": brotli.Decompressor,
    }


def _inflate_chunks(decoder: Any, chunks: Any, encoding: bytes) -> Any:
    for chunk in chunks:
        if encoding == b"br":
            yield decoder.process(chunk)
            continue
        data = chunk
        while data:
            yield decoder.decompress(data, _CHUNK)
            data = decoder.unconsumed_tail
            if decoder.eof:
                return


def inflate(chunks: Any, encoding: bytes, out: SpillBuffer, limit: int) -> None:
    """Inflate ``chunks`` into ``out``; :class:`DecompressionBomb` past ``limit`` bytes.

    >>> import gzip
    >>> out = SpillBuffer(1 << 20, tempfile.mkdtemp())
    >>> inflate([gzip.compress(b"x" * 1000)], b"gzip", out, 10_000); out.size
    1000
    >>> inflate([gzip.compress(b"x" * 100_000)], b"gzip", SpillBuffer(1 << 20, "."), 10_000)
    Traceback (most recent call last):
    crawler.middlewares.bodies.DecompressionBomb: more than 10000 bytes once decompressed
    """
    decoder = _decoders()[encoding]()
    try:
        for piece in _inflate_chunks(decoder, chunks, encoding):
            out.write(piece)
            if out.size > limit:
                raise DecompressionBomb(f"more than {limit} bytes once decompressed")
    except (zlib.error, Exception) as exc:
        if isinstance(exc, DecompressionBomb):
            out.discard()
            raise
        out.discard()
        raise ValueError(f"cannot decompress ({encoding.decode()}): {exc}") from exc


def _file_chunks(path: str) -> Any:
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            yield chunk


class BodiesMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.threshold = settings.getint("NIANBAO_STREAM_THRESHOLD", DEFAULT_THRESHOLD)
        self.limit = settings.getint("NIANBAO_DECOMPRESSED_MAXSIZE", DEFAULT_DECOMPRESSED_MAX)
        self.tmp = Path(settings.get("NIANBAO_DATA_DIR")) / "tmp"
        if self.threshold:
            install_streaming_reader(self.threshold, self.tmp)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BodiesMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        encodings = response.headers.getlist(b"Content-Encoding")
        encoding = encodings[-1].strip().lower() if encodings else b""
        if request.method != "HEAD" and encoding in _decoders():
            response = self._inflated(request, response, encoding, encodings[:-1])
        if "streamed" in response.flags and type(response) is not Response:
            response = _plain(response)  # archived, never parsed for links
        return response

    def _inflated(self, request: Request, response: Response, encoding: bytes, rest: list[bytes]) -> Response:
        spilled = request.meta.pop(BODY_FILE, None)
        chunks = _file_chunks(spilled) if spilled else [response.body]
        out = SpillBuffer(self.threshold or self.limit + 1, self.tmp)
        try:
            inflate(chunks, encoding, out, self.limit)
        except (DecompressionBomb, ValueError) as exc:
            message = str(exc)
            if isinstance(exc, DecompressionBomb):
                message = f"decompression bomb: {response.url} is {exc} (NIANBAO_DECOMPRESSED_MAXSIZE)"
            logger.warning("%s: %s", request.url, message)
            record_problem(self.crawler, "fetch", message, url=request.url, failed=True)
            raise Recorded(message) from exc
        finally:
            if spilled:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(spilled)
        headers = response.headers.copy()
        if rest:
            headers[b"Content-Encoding"] = rest
        else:
            del headers[b"Content-Encoding"]
        flags = [f for f in response.flags if f != "streamed"]
        if out.file is not None:
            request.meta[BODY_FILE] = out.close()
            return _plain(response, headers=headers, flags=[*flags, "streamed"])
        from scrapy.responsetypes import responsetypes

        body = out.getvalue()
        cls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        return response.replace(cls=cls, body=body, headers=headers, flags=flags)


def _plain(response: Response, **changes: Any) -> Response:
    """A plain ``Response`` with the same answer and an empty body (which waits on disk)."""
    fields = {
        "url": response.url,
        "status": response.status,
        "headers": response.headers,
        "body": b"",
        "flags": response.flags,
        "request": response.request,
        "certificate": response.certificate,
        "ip_address": response.ip_address,
        "protocol": response.protocol,
    }
    return Response(**{**fields, **changes})
