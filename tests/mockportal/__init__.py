"""Mock government portals (TRS-WCM-like static sites built from the seed reports), served over
real HTTP on 127.0.0.1, for end-to-end crawler tests, WARC cassettes and benchmarks.

>>> from tests.mockportal import MockServer, demo_sites
>>> import urllib.request
>>> with MockServer(demo_sites(), proxy=False) as server:
...     with urllib.request.urlopen(server.base_url("weihai") + "robots.txt") as resp:
...         resp.read()
b'User-agent: *\\nDisallow: /admin/\\n'

Run ``python -m tests.mockportal serve [--port N]`` to browse them.
"""

from .server import MockServer
from .sites import ExpectedReport, Resource, Site, demo_sites

__all__ = ["ExpectedReport", "MockServer", "Resource", "Site", "demo_sites"]
