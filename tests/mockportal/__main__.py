"""``python -m tests.mockportal serve [--port N]``: serve the demo sites until Ctrl-C.

``--port`` fixes the forward proxy's port; each site also gets its own (random) direct port.
Browse through the proxy, e.g. ``curl -x http://127.0.0.1:N http://www.weihai.nianbao.test/``.
"""

from __future__ import annotations

import argparse
import signal
import threading

from . import MockServer, demo_sites
from .sites import missing_fixtures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.mockportal")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the five demo portals until Ctrl-C")
    serve.add_argument("--port", type=int, default=0, help="proxy port (default: any free one)")
    args = parser.parse_args(argv)
    # Ctrl-C stops the server even when the parent started us with SIGINT ignored (a process
    # inherits an ignored signal, and Python then installs no handler of its own); so does SIGTERM.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    sites = demo_sites()
    with MockServer(sites, proxy_port=args.port) as server:
        print(f"proxy: {server.proxy_url}", flush=True)
        for site in sites:
            print(f"{site.name:10} http://{site.host}/  direct: {server.base_url(site.name)}")
        for name in missing_fixtures():
            print(f"warning: fixture {name} missing, serving a placeholder")
        print("Ctrl-C to stop", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print()


if __name__ == "__main__":
    main()
