"""Serve a directory of static files on 127.0.0.1, fast: Debian's nginx, else Python processes.

Both log one line per request — ``<path> <status> <bytes sent, headers included>`` — so a
benchmark can count what each crawl asked for and how many bytes crossed the wire
(:meth:`StaticServer.mark` / :meth:`StaticServer.requests_since`). Both send
``Last-Modified`` and ``ETag`` and answer ``If-Modified-Since`` / ``If-None-Match`` with 304,
as portals' web servers do.

nginx runs in the foreground of its own prefix directory (config, pid, logs, temp dirs in a
temp dir), with two worker processes, never as the system service. The fallback runs
``workers`` Python processes sharing the port (``SO_REUSEPORT``), each a threading server.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

NGINX = "/usr/sbin/nginx"
_REPO = Path(__file__).resolve().parents[1]
# nginx in the foreground of its own prefix directory: config, pid, logs and every temp dir
# there, never the system service's. {http} is what the http block adds (logs, servers).
_NGINX_CONF = """\
{user}
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
daemon off;
master_process on;
events {{ worker_connections {connections}; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    charset utf-8;
    sendfile on;
    keepalive_timeout 60s;
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
{http}
}}
"""
_STATIC_HTTP = """\
    log_format bench '$request_uri $status $bytes_sent';
    access_log {prefix}/access.log bench;
    tcp_nopush on;
    keepalive_requests 100000;
    open_file_cache max=100000 inactive=60s;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
        server_tokens off;
    }}"""


def start_nginx(
    prefix: Path, http: str, *, workers: int = 2, connections: int = 1024
) -> subprocess.Popen[bytes]:
    """Start nginx in ``prefix`` (a private temp dir) with ``http`` added to its http block."""
    (prefix / "tmp").mkdir(exist_ok=True)
    # As root, nginx's workers would drop to "nobody", who cannot read a private temp dir.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    conf = _NGINX_CONF.format(user=user, workers=workers, connections=connections, prefix=prefix, http=http)
    (prefix / "nginx.conf").write_text(conf)
    return subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@dataclass
class Request:
    path: str
    status: int
    bytes: int


def nginx_available() -> bool:
    return Path(NGINX).is_file() and Path("/etc/nginx/mime.types").is_file()


def nginx_version() -> str | None:
    if not nginx_available():
        return None
    out = subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr.strip()
    return out.rsplit("/", 1)[-1] or None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StaticServer:
    """``with StaticServer(root) as server: server.base_url …`` (nginx when installed)."""

    def __init__(self, root: Path, *, workers: int = 2, prefer: str = "auto") -> None:
        self.root = Path(root).resolve()
        self.workers = workers
        self.kind = "nginx" if prefer in ("auto", "nginx") and nginx_available() else "python"
        if prefer == "nginx" and self.kind != "nginx":
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        self.port = free_port()
        self.prefix = Path(tempfile.mkdtemp(prefix="nianbao-bench-server-"))
        self.log = self.prefix / "access.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._children: list[subprocess.Popen[bytes]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> StaticServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if self.kind == "nginx":
            self._start_nginx()
        else:
            self._start_python()
        self._wait_ready()

    def _start_nginx(self) -> None:
        http = _STATIC_HTTP.format(prefix=self.prefix, port=self.port, root=self.root)
        self._proc = start_nginx(self.prefix, http, workers=self.workers)

    def _start_python(self) -> None:
        sock = _reuseport_socket(self.port)  # bound before the workers start: no race
        sock.close()
        for k in range(self.workers):
            log = self.prefix / f"access-{k}.log"
            command = [
                sys.executable,
                "-m",
                "bench.server",
                str(self.root),
                str(self.port),
                str(log),
            ]
            self._children.append(subprocess.Popen(command, cwd=_REPO))

    def _wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                raise RuntimeError(f"nginx exited: {err.strip()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} did not listen on port {self.port}")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGQUIT)  # graceful: flushes the log
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        for child in self._children:
            child.terminate()
            child.wait(5)
        self._children = []
        shutil.rmtree(self.prefix, ignore_errors=True)

    # -- request log --------------------------------------------------------------------
    def _logs(self) -> list[Path]:
        if self.kind == "nginx":
            return [self.log]
        return sorted(self.prefix.glob("access-*.log"))

    def mark(self) -> dict[str, int]:
        """Where each log ends now; pass to :meth:`requests_since`."""
        return {str(p): p.stat().st_size if p.exists() else 0 for p in self._logs()}

    def requests_since(self, mark: dict[str, int]) -> list[Request]:
        time.sleep(0.2)  # the last lines of a finished crawl
        found: list[Request] = []
        for log in self._logs():
            with log.open("rb") as f:
                f.seek(mark.get(str(log), 0))
                for line in f.read().decode("utf-8", "replace").splitlines():
                    path, status, size = line.rsplit(" ", 2)
                    found.append(Request(path, int(status), int(size)))
        return found


# -- the Python fallback ----------------------------------------------------------------------
def _reuseport_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    return sock


class _CountingWriter:
    def __init__(self, raw: object) -> None:
        self.raw = raw
        self.count = 0

    def write(self, data: bytes) -> int:
        self.count += len(data)
        return self.raw.write(data)  # type: ignore[attr-defined,no-any-return]

    def flush(self) -> None:
        self.raw.flush()  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.raw, name)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files over HTTP/1.1 keep-alive, with ETag and Last-Modified validators."""

    protocol_version = "HTTP/1.1"
    log_file: object = None

    def setup(self) -> None:
        super().setup()
        self.wfile = _CountingWriter(self.wfile)  # type: ignore[assignment]

    def handle_one_request(self) -> None:
        before = self.wfile.count  # type: ignore[attr-defined]
        self._status = 0
        super().handle_one_request()
        if self._status and self.log_file is not None:
            sent = self.wfile.count - before  # type: ignore[attr-defined]
            self.log_file.write(f"{self.path} {self._status} {sent}\n")  # type: ignore[attr-defined]

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.is_file():
            st = path.stat()
            stamp = f"{st.st_mtime_ns}-{st.st_size}".encode()
            etag = '"' + hashlib.sha1(stamp).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return None
            self._etag = etag
        return super().send_head()

    def end_headers(self) -> None:
        etag = getattr(self, "_etag", None)
        if etag and self._status == 200:
            self.send_header("ETag", etag)
        self._etag = None
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve_python(root: str, port: int, log: str) -> None:
    with open(log, "a", buffering=1, encoding="utf-8") as log_file:
        _Handler.log_file = log_file
        handler = functools.partial(_Handler, directory=root)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def server_bind(self) -> None:
                self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                super().server_bind()

        with Server(("127.0.0.1", port), handler) as server:
            server.serve_forever(poll_interval=0.2)


if __name__ == "__main__":  # one worker of the fallback server: ROOT PORT LOG
    _serve_python(sys.argv[1], int(sys.argv[2]), sys.argv[3])
