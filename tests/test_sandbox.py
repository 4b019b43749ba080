"""Chromium runs in its sandbox where the machine allows it (crawler/sandbox.py): the flag
chosen for an ordinary user really starts Debian's Chromium, sandboxed, on this machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from crawler.render import chromium_path
from crawler.sandbox import sandbox_args, setuid_helper_present, user_namespaces_allowed

NOBODY = 65534


def test_root_never_gets_the_sandbox_an_ordinary_user_does_when_namespaces_allow() -> None:
    assert sandbox_args(euid=0, userns=True, setuid_helper=True) == ["--no-sandbox"]
    assert sandbox_args(euid=1000, userns=True, setuid_helper=False) == []
    assert sandbox_args(euid=1000, userns=False, setuid_helper=True) == []
    assert sandbox_args(euid=1000, userns=False, setuid_helper=False) == ["--no-sandbox"]


def test_chromium_starts_sandboxed_as_an_ordinary_user() -> None:
    chromium = chromium_path()
    if chromium is None or os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs Chromium, and root to start it as another user (setpriv)")
    flags = sandbox_args(euid=NOBODY)
    if flags:
        pytest.skip("this machine allows no sandbox: neither user namespaces nor the setuid helper")
    assert user_namespaces_allowed() or setuid_helper_present()
    home = Path(tempfile.mkdtemp(prefix="nianbao-sandbox-"))  # pytest's home is root's alone
    home.chmod(0o777)
    command = [
        "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
        "env", f"HOME={home}", chromium, "--headless", "--disable-gpu", *flags,
        f"--user-data-dir={home / 'profile'}", "--dump-dom", "data:text/html,<p>sandboxed</p>",
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert "<p>sandboxed</p>" in result.stdout, result.stderr[-2000:]
