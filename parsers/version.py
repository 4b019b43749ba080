"""The parser version: a hand-set release number plus a digest of the parsers' own source.

A crawl re-parses a report whose stored ``parser_version`` differs from :data:`PARSER_VERSION`
(``nianbao/parse.py``), and ``nianbao reparse`` records it with every report and document. A
version bumped by hand is forgotten sooner or later, and then changed parser code is never
applied to what is archived; so the version carries a digest of every file of the ``parsers``
package (code and data, as installed) and of the ``vocabulary`` package, whose title rules and
text normalisation the parsers apply. Any change to them — a rule, a threshold, a metric
key — gives a new version by itself, and the next crawl re-parses. A change that only touches
a comment also does: a harmless re-parse, which reports "nothing changed".

Bump :data:`PARSER_RELEASE` by hand only to name a change in the records (it is the part
before the ``+``); it is never needed for re-parsing.

>>> PARSER_VERSION.startswith(PARSER_RELEASE + "+"), len(PARSER_VERSION.split("+")[1])
(True, 12)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import vocabulary

PARSER_RELEASE = "0.2.0"
PACKAGE_DIR = Path(__file__).resolve().parent
VOCABULARY_DIR = Path(vocabulary.__file__).resolve().parent
SOURCE_DIRS = (PACKAGE_DIR, VOCABULARY_DIR)


def source_digest(*roots: Path) -> str:
    """12 hex digits of the SHA-256 over every file under each of ``roots`` (default
    :data:`SOURCE_DIRS`; each file by its folder's name, its path and its bytes), byte code
    caches left out. Reading ~400 KB takes about a millisecond.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "a.py").write_text("X = 1\\n")
    >>> before = source_digest(root)
    >>> _ = (root / "a.py").write_text("X = 2\\n")
    >>> before != source_digest(root), len(before)
    (True, 12)
    """
    digest = hashlib.sha256()
    for root in roots or SOURCE_DIRS:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and _is_source(p, root)):
            digest.update(f"{root.name}/{path.relative_to(root).as_posix()}".encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


def _is_source(path: Path, root: Path) -> bool:
    return "__pycache__" not in path.relative_to(root).parts and path.suffix not in {".pyc", ".pyo"}


PARSER_VERSION = f"{PARSER_RELEASE}+{source_digest()}"
