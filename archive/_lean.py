"""Import sqlite-utils without pandas.

sqlite-utils imports pandas whenever it is installed (cnloc brings it in), only to convert
pandas values, which nianbao never hands it. That import costs about 0.4 s of CPU in every
process — each CLI command, crawl and parse worker — so sqlite-utils is imported here first,
with pandas hidden (``archive/__init__.py`` imports this module before anything else);
pandas itself stays importable for anyone who asks for it later.
"""

from __future__ import annotations

import sys


def import_sqlite_utils() -> None:
    if "sqlite_utils" in sys.modules:
        return
    hide = "pandas" not in sys.modules
    if hide:
        sys.modules["pandas"] = None  # type: ignore[assignment]  # `import pandas` → ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        if hide:
            del sys.modules["pandas"]


import_sqlite_utils()
