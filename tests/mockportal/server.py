"""Serve mock sites over real HTTP on 127.0.0.1: one port per site and/or one forward proxy.

``MockServer`` is a context manager. In *direct* mode every site gets its own port
(``base_url(name)`` → ``http://127.0.0.1:P/``), on a loopback address of its own if given one
(``addresses``: a crawl takes sites on one address for one server and crawls them one at a
time, sites on distinct addresses at once). In *proxy* mode one port (``proxy_url``) acts as
an HTTP forward proxy: absolute-URI requests (``GET http://www.weihai.nianbao.test/ HTTP/1.1``)
are answered by the site with that host name, so crawlers can use the sites' real host names
without DNS (``.test`` never resolves). CONNECT (HTTPS tunnelling) is not supported.

Behaviour, like a static web server in front of a CMS:

- HTTP/1.1 with ``Content-Length`` and keep-alive; GET, HEAD and POST.
- A POST is answered by the resource keyed :func:`post_key` (``"POST /path <canonical form>"``)
  when the site has one, so a list API or an ASP.NET postback answers by what the form says
  and a form the server never issued (a stale ``__VIEWSTATE``) is not answered as if it were;
  else like a GET of the path + query. Every POST is logged in ``posts`` as ``(site name,
  path, form body)``.
- 200 answers carry ``ETag`` (sha1 of the body) and ``Last-Modified`` and honour
  ``If-None-Match`` (which wins) / ``If-Modified-Since`` with a bodiless 304.
- ``text/*`` bodies are gzipped when the client sends ``Accept-Encoding: gzip`` (never PDFs etc).
- ``/dir/`` is answered from ``/dir/index.html``; ``/dir`` redirects (301) to ``/dir/`` when that
  exists; a static path also answers with a query string appended (``/x.html?v=1``).
- Unknown paths → an HTML 404 page. Resources with status 301/302 + ``Location`` are redirects;
  any other status is sent as is (handy for anti-bot or error pages via :meth:`mutate`).
- Every request is logged in ``requests`` as ``(site name, method, path)`` (for a POST, the key
  it was answered from); ``""`` as the name when the proxy was asked for an unknown host
  (answered 502).

>>> post_key("/fjdzapp/search", b"page=2&channelid=200211&classsql=chnlid%3D1813")
'POST /fjdzapp/search channelid=200211&classsql=chnlid%3D1813&page=2'
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import socket
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from .sites import Resource, Site

DEFAULT_LAST_MODIFIED = datetime(2019, 1, 1, tzinfo=UTC)
NOT_FOUND_HTML = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>404 页面不存在</title></head>'
    '<body><h1>404</h1><p>对不起，您访问的页面不存在或已被删除。</p><p><a href="/">返回首页</a></p>'
    "</body></html>"
).encode()


def etag_of(body: bytes) -> str:
    """The strong ETag the server sends for a body.

    >>> etag_of(b"")
    '"da39a3ee5e6b4b0d3255bfef95601890afd80709"'
    """
    return '"' + hashlib.sha1(body).hexdigest() + '"'


def etag_matches(header: str, etag: str) -> bool:
    """``If-None-Match`` comparison (weak, as RFC 7232 asks for GET/HEAD).

    >>> etag_matches('W/"a", "b"', '"b"'), etag_matches("*", '"x"'), etag_matches('"a"', '"b"')
    (True, True, False)
    """
    tags = [x.strip() for x in header.split(",")]
    return "*" in tags or etag.removeprefix("W/") in {x.removeprefix("W/") for x in tags}


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip.

    >>> accepts_gzip("gzip, deflate"), accepts_gzip("gzip;q=0"), accepts_gzip(None)
    (True, False, False)
    """
    for part in (header or "").split(","):
        name, _, params = part.partition(";")
        if name.strip().lower() in {"gzip", "x-gzip", "*"}:
            q = params.strip().removeprefix("q=")
            try:
                return not params or float(q) > 0
            except ValueError:
                return True
    return False


def canonical_form(body: bytes | str) -> str:
    """A form body with its fields sorted, so field order does not matter.

    >>> canonical_form("b=2&a=%E5%B9%B4&a=1")
    'a=%E5%B9%B4&a=1&b=2'
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    pairs = parse_qsl(text, keep_blank_values=True)
    return urlencode(sorted(pairs, key=lambda kv: kv[0]))


def post_key(path: str, form: bytes | str | dict[str, str]) -> str:
    """The resource key a POST of ``form`` to ``path`` (with its query, if any) is answered from."""
    body = urlencode(form) if isinstance(form, dict) else form
    return f"POST {path} {canonical_form(body)}"


class _LiveSite:
    """A site as served: its own copy of the resources plus Last-Modified bookkeeping."""

    def __init__(self, site: Site) -> None:
        self.name = site.name
        self.host = site.host.lower()
        self.resources = dict(site.resources)
        self.dynamic = site.dynamic
        self.modified: dict[str, datetime] = {}  # set by mutate()

    def last_modified(self, path: str, resource: Resource) -> datetime:
        header = _header(resource.headers, "Last-Modified")
        if header:
            return parsedate_to_datetime(header)
        return self.modified.get(path, DEFAULT_LAST_MODIFIED)


def _header(headers: dict[str, str], name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that remembers open connections so shutdown can close idle ones."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, mock: MockServer, site: str | None, address: str = "127.0.0.1") -> None:
        self.mock = mock
        self.site = site  # None: forward proxy
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__((address, port), _Handler)

    def get_request(self) -> tuple[socket.socket, object]:
        sock, addr = super().get_request()
        with self._conns_lock:
            self._conns.add(sock)
        return sock, addr

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client went away (a crawl killed, a download cancelled): nothing to tell
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nianbao-mockportal/1.0"
    timeout = 30  # idle keep-alive connections
    server: _Server
    _form = b""  # the body of a POST

    def parse_request(self) -> bool:
        # One handler serves every request of a kept-alive connection: a GET after a POST
        # must not be answered with the POST's form.
        self._form = b""
        return super().parse_request()

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._form = self.rfile.read(length) if length > 0 else b""
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _route(self) -> tuple[_LiveSite | None, str]:
        """The site and the path (with query) a request is for."""
        mock = self.server.mock
        target = urlsplit(self.path)
        path = (target.path or "/") + (f"?{target.query}" if target.query else "")
        if self.server.site is not None:
            return mock._sites[self.server.site], path
        host = target.hostname or (self.headers.get("Host") or "").rsplit(":", 1)[0]
        return mock._site_by_host(host), path

    def _posted(self, site: _LiveSite | None, path: str) -> str:
        """The key a POST is answered from (see the module docstring); logs the form."""
        self.server.mock._record_post(site.name if site else "", path, self._form)
        key = post_key(path, self._form)
        return key if site is not None and key in site.resources else path

    def _serve(self, *, head: bool) -> None:
        site, path = self._route()
        if self.command == "POST":
            path = self._posted(site, path)
        self.server.mock._record(site.name if site else "", self.command, path)
        if site is None:
            self._send(502, "text/plain; charset=utf-8", b"502 Bad Gateway: unknown host\n", head)
            return
        answer = site.dynamic(self.command, path, self._form) if site.dynamic else None
        found = (path, answer) if answer is not None else self.server.mock._lookup(site, path)
        if found is None:
            self._send(404, "text/html; charset=utf-8", NOT_FOUND_HTML, head)
            return
        key, resource = found
        if resource.status != 200:
            self._send(resource.status, resource.content_type, resource.body, head, resource.headers)
            return
        self._send_ok(site, key, resource, head)

    def _send_ok(self, site: _LiveSite, key: str, resource: Resource, head: bool) -> None:
        etag = etag_of(resource.body)
        modified = site.last_modified(key, resource)
        validators = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
        validators.update(resource.headers)  # a resource may pin its own validators
        if self._not_modified(_header(validators, "ETag") or etag, modified):
            self.send_response(304)
            for k, v in validators.items():
                if k.lower() in {"etag", "last-modified"}:
                    self.send_header(k, v)
            self.end_headers()
            return
        body = resource.body
        extra = dict(validators)
        if resource.content_type.startswith("text/"):
            extra["Vary"] = "Accept-Encoding"
            if accepts_gzip(self.headers.get("Accept-Encoding")):
                body = gzip.compress(body, mtime=0)
                extra["Content-Encoding"] = "gzip"
        self._send(200, resource.content_type, body, head, extra)

    def _not_modified(self, etag: str, modified: datetime) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag_matches(inm, etag)
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                return modified <= parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
        return False

    def _send(
        self,
        status: int,
        ctype: str,
        body: bytes,
        head: bool,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            if k.lower() not in {"content-type", "content-length"}:
                self.send_header(k, v)  # latin-1 on the wire: raw GBK header values survive
        self.end_headers()
        if not head:
            self.wfile.write(body)


class MockServer:
    """Serve ``sites`` on 127.0.0.1 (see the module docstring). Use as a context manager.

    ``proxy_port`` fixes the proxy's port (0: any free port); ``proxy_url`` is ``""`` when
    ``proxy=False``. ``addresses``: site name → the loopback address (127.x.y.z) it is served on
    in direct mode (default 127.0.0.1).
    """

    def __init__(
        self,
        sites: list[Site],
        *,
        direct: bool = True,
        proxy: bool = True,
        proxy_port: int = 0,
        addresses: dict[str, str] | None = None,
    ) -> None:
        if not (direct or proxy):
            raise ValueError("MockServer needs direct or proxy mode")
        self._sites = {s.name: _LiveSite(s) for s in sites}
        self._hosts = {s.host: s for s in self._sites.values()}
        self._direct = direct
        self._proxy = proxy
        self._proxy_port = proxy_port
        self._lock = threading.Lock()
        self._servers: list[tuple[_Server, threading.Thread]] = []
        self._ports: dict[str, int] = {}
        self._addresses = dict(addresses or {})
        self.requests: list[tuple[str, str, str]] = []
        self.posts: list[tuple[str, str, bytes]] = []
        self.proxy_url = ""

    # -- lifecycle
    def __enter__(self) -> MockServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        try:
            if self._proxy:
                server = self._spawn(self._proxy_port, None)
                self.proxy_url = f"http://127.0.0.1:{server.server_address[1]}"
            if self._direct:
                for name in self._sites:
                    self._ports[name] = self._spawn(0, name).server_address[1]
        except BaseException:
            self.stop()
            raise

    def _spawn(self, port: int, site: str | None) -> _Server:
        server = _Server(port, self, site, self._address(site))
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"mockportal-{site or 'proxy'}",
            daemon=True,
        )
        thread.start()
        self._servers.append((server, thread))
        return server

    def stop(self) -> None:
        servers, self._servers = self._servers, []
        for server, _ in servers:
            server.shutdown()
        for server, thread in servers:
            server.close_connections()
            server.server_close()
            thread.join(timeout=5)

    # -- API
    def base_url(self, name: str) -> str:
        """``http://127.0.0.1:P/`` (or the site's own address) of a site in direct mode."""
        if name not in self._ports:
            raise KeyError(f"no direct port for {name!r} (direct mode off or unknown site)")
        return f"http://{self._address(name)}:{self._ports[name]}/"

    def _address(self, site: str | None) -> str:
        return self._addresses.get(site or "", "127.0.0.1")

    def proxy_env(self) -> dict[str, str]:
        """This process's environment with every HTTP(S) request sent through the proxy (so a
        crawler in a subprocess reaches the sites by their host names)."""
        env = {**os.environ, "http_proxy": self.proxy_url, "https_proxy": self.proxy_url}
        env.pop("no_proxy", None)
        env.pop("NO_PROXY", None)
        return env

    def mutate(self, name: str, path: str, resource: Resource) -> None:
        """Replace or add a resource while serving. Its Last-Modified moves forward (unless
        the resource sets its own), so If-Modified-Since revalidation sees the change."""
        site = self._sites[name]
        with self._lock:
            old = site.resources.get(path)
            previous = site.last_modified(path, old) if old else DEFAULT_LAST_MODIFIED
            now = datetime.now(UTC).replace(microsecond=0)
            site.modified[path] = max(now, previous + timedelta(seconds=1))
            site.resources[path] = replace(resource, headers=dict(resource.headers))

    # -- used by the handler
    def _record(self, site: str, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((site, method, path))

    def _record_post(self, site: str, path: str, form: bytes) -> None:
        with self._lock:
            self.posts.append((site, path, form))

    def _site_by_host(self, host: str) -> _LiveSite | None:
        return self._hosts.get(host.lower().rstrip("."))

    def _lookup(self, site: _LiveSite, path: str) -> tuple[str, Resource] | None:
        """Find the resource for a path: exact, query ignored, directory index, or a 301
        to the directory (``/zwgk`` → ``/zwgk/``)."""
        with self._lock:
            resources = site.resources
            bare = path.split("?", 1)[0]
            for key in (path, bare, bare + "index.html" if bare.endswith("/") else None):
                if key is not None and key in resources:
                    return key, resources[key]
            if not bare.endswith("/") and bare + "/index.html" in resources:
                location = bare + "/"
                body = f'<a href="{location}">Moved Permanently</a>'.encode()
                return path, Resource(body, status=301, headers={"Location": location})
        return None
