"""Whether Chromium can run in its sandbox here, and the flag when it cannot.

The browser renders pages from the open web: its sandbox should be on. Chromium's Linux
sandbox needs either unprivileged user namespaces or its setuid ``chrome-sandbox`` helper, and
it refuses to start as root with the sandbox on. So:

* as an ordinary user (the README's systemd unit runs nianbao as its own ``nianbao`` user) with
  user namespaces allowed (``/proc/sys/user/max_user_namespaces`` > 0, and not switched off by
  ``kernel.unprivileged_userns_clone = 0`` or AppArmor's
  ``kernel.apparmor_restrict_unprivileged_userns = 1``), or with the setuid helper: sandboxed;
* as root, or without either: ``--no-sandbox``, with a warning saying why.

``NIANBAO_CHROMIUM_SANDBOX=1`` / ``0`` overrides the guess.

>>> sandbox_args(euid=1000, userns=True, setuid_helper=False)
[]
>>> sandbox_args(euid=0, userns=True, setuid_helper=True)
['--no-sandbox']
>>> sandbox_args(euid=1000, userns=False, setuid_helper=False)
['--no-sandbox']
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

_HELPERS = ("/usr/lib/chromium/chrome-sandbox", "/usr/lib/chromium-browser/chrome-sandbox")


def _read_int(path: str) -> int | None:
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None


def user_namespaces_allowed() -> bool:
    """Whether an unprivileged process may create a user namespace (what the sandbox uses)."""
    if (_read_int("/proc/sys/user/max_user_namespaces") or 0) <= 0:
        return False
    if _read_int("/proc/sys/kernel/unprivileged_userns_clone") == 0:  # Debian's switch
        return False
    return _read_int("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") != 1  # Ubuntu 24.04+


def setuid_helper_present() -> bool:
    for helper in _HELPERS:
        try:
            st = os.stat(helper)
        except OSError:
            continue
        if st.st_uid == 0 and st.st_mode & 0o4000:
            return True
    return False


def sandbox_args(
    *, euid: int | None = None, userns: bool | None = None, setuid_helper: bool | None = None
) -> list[str]:
    """Chromium's sandbox flag for this machine: ``[]`` (sandboxed) or ``["--no-sandbox"]``."""
    forced = os.environ.get("NIANBAO_CHROMIUM_SANDBOX")
    if forced in ("0", "1"):
        return [] if forced == "1" else ["--no-sandbox"]
    euid = os.geteuid() if euid is None else euid
    if euid == 0:
        reason = "running as root (Chromium's sandbox refuses root; run nianbao as its own user)"
    else:
        userns = user_namespaces_allowed() if userns is None else userns
        helper = setuid_helper_present() if setuid_helper is None else setuid_helper
        if userns or helper:
            return []
        reason = "no unprivileged user namespaces and no setuid chrome-sandbox helper"
    logger.info("Chromium runs without its sandbox: %s", reason)
    return ["--no-sandbox"]
