"""The README's command-line synopsis says what ``--help`` says: every option of every
command is in it, and nothing it shows is unknown to the parser."""

from __future__ import annotations

import argparse
import re

from nianbao.cli import _build_parser
from tests.helpers import ROOT

_OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


def _synopsis() -> dict[str, set[str]]:
    """Options shown per command in the README's first code block after "## Command line"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Command line", 1)[1].split("```", 2)[1]
    commands: dict[str, set[str]] = {}
    current = None
    for line in block.splitlines():
        if m := re.match(r"nianbao (\S+)", line.strip()):
            current = m.group(1) if not m.group(1).startswith("-") else ""
            commands.setdefault(current, set())
            line = line.strip()[len("nianbao " + m.group(1)) :] if current else line.strip()[len("nianbao") :]
        if current is not None:
            commands[current] |= set(_OPTION.findall(line))
    return commands


def _parsers() -> dict[str, argparse.ArgumentParser]:
    root = _build_parser()
    (sub,) = [a for a in root._actions if isinstance(a, argparse._SubParsersAction)]
    return {"": root, **sub.choices}


def _options(parser: argparse.ArgumentParser) -> list[list[str]]:
    return [
        a.option_strings
        for a in parser._actions
        if a.option_strings and not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)
    ]


def test_every_command_and_option_is_in_the_readme_and_nothing_else() -> None:
    shown, parsers = _synopsis(), _parsers()
    assert set(shown) == set(parsers), "commands in the README synopsis vs nianbao --help"
    for name, parser in parsers.items():
        options = _options(parser)
        known = {s for strings in options for s in strings}
        for strings in options:
            assert set(strings) & shown[name], f"README synopsis of `nianbao {name}` lacks {strings[-1]}"
        unknown = shown[name] - known
        assert not unknown, f"README synopsis of `nianbao {name}` shows unknown {sorted(unknown)}"


def test_make_demo_prints_one_browse_line(tmp_path) -> None:
    """`make demo` is the demo crawl and verify: the crawl's summary ends with the one
    "Browse" line, and the Makefile's recipe adds none of its own."""
    from tests.helpers import run_cli

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "browse" not in recipe.lower()
    assert "nianbao crawl --replay cassettes/demo.warc.gz" in recipe
    result = run_cli("crawl", "--replay", "cassettes/demo.warc.gz", "--data-dir", str(tmp_path / "data"))
    assert result.returncode in (0, 1), result.stderr
    browse = [line for line in result.stdout.splitlines() if "browse" in line.lower()]
    assert len(browse) == 1 and "nianbao serve --data-dir" in browse[0]
