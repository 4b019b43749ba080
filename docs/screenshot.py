"""Make docs/chart.png, the README's screenshot: ``nianbao serve`` on a data dir, one
agency's requests per year drawn by datasette-vega, in Debian's headless Chromium.

    .venv/bin/python docs/screenshot.py data     # after `make demo`
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout, not an installed nianbao
OUT = ROOT / "docs" / "chart.png"
CHROMIUM = "/usr/lib/chromium/chromium"
CHART = "application_outcomes"
QUERY = f"{CHART}?agency=&region="  # every report


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(data_dir: str) -> None:
    from playwright.sync_api import sync_playwright

    from nianbao.charts import CHARTS, chart_fragment

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "nianbao.cli", "serve", "--data-dir", data_dir, "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        for _ in range(100):
            try:
                opener.open(base + "/-/versions.json", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 900, "height": 700})
            page.goto(f"{base}/nianbao/{QUERY}{chart_fragment(CHARTS[CHART])}")
            page.wait_for_selector("svg.marks, canvas.marks", timeout=20000)
            page.wait_for_timeout(500)
            # the chart with the query's form above it: which agency, which years
            top = page.locator("form").first.bounding_box()
            chart = page.locator("svg.marks, canvas.marks").first.bounding_box()
            assert top and chart
            y0 = min(top["y"], chart["y"])
            clip = {"x": 0, "y": y0, "width": 900, "height": chart["y"] + chart["height"] - y0 + 10}
            page.screenshot(path=str(OUT), clip=clip, full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"{OUT}: {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data")
