"""DOC, WPS, XLS and XLSX parsers: seed fixtures, merged cells, number display, bad input.

The seed DOCs are converted by the real LibreOffice once per module (~2 s each). Converter
failures and hangs are simulated with small fake ``soffice`` scripts named by
``NIANBAO_SOFFICE``.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import struct
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from parsers import limits
from parsers.document import Document, ParseError
from parsers.formats import doc as doc_format
from parsers.formats import wps as wps_format
from parsers.formats import xls as xls_format
from parsers.formats import xlsx as xlsx_format
from parsers.formats._office import convert_with_libreoffice
from tests.helpers import flat_text, similarity

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "seeds"
SEEDS = ["000", "001", "002", "003", "004"]
TABLE_SEEDS = ["000", "002"]  # the seeds with a legacy 统计表 (NNN.table.xls / .xlsx)
LEGACY_HEADER = ["统计指标", "单位", "统计数"]
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice missing")


# --------------------------------------------------------------------------- helpers


def legacy_grid(seed: str) -> list[list[str]]:
    tables = json.loads((FIXTURES / f"{seed}.tables.json").read_text("utf-8"))
    return next(t for t in tables if t[0] == LEGACY_HEADER)


def fake_soffice(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-soffice"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return str(script)


def copying_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, docx: Path) -> Path:
    """Make ``NIANBAO_SOFFICE`` a fake that "converts" by copying ``docx`` to the output
    directory; it writes its arguments, one a line, to the file returned."""
    args_file = tmp_path / "args"
    copier = fake_soffice(
        tmp_path,
        'printf "%s\\n" "$@" > "$FAKE_ARGS"\n'
        'prev=""; for a in "$@"; do [ "$prev" = "--outdir" ] && out="$a"; prev="$a"; done\n'
        'mkdir -p "$out"; base=$(basename "$a"); cp "$FAKE_DOCX" "$out/${base%.*}.docx"\n',
    )
    monkeypatch.setenv("NIANBAO_SOFFICE", copier)
    monkeypatch.setenv("FAKE_ARGS", str(args_file))
    monkeypatch.setenv("FAKE_DOCX", str(docx))
    return args_file


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (v3, 512-byte sectors) holding ``streams`` at the root.

    Streams are padded to 4096 bytes so that all of them live in the regular FAT."""
    sector = 512
    end, free, fat_sect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    payloads = [data.ljust(4096, b"\0") for data in streams.values()]
    n_entries = 1 + len(streams)
    dir_sectors = -(-n_entries * 128 // sector)
    fat: list[int] = [fat_sect]
    first_dir = len(fat)
    fat += [first_dir + i + 1 for i in range(dir_sectors - 1)] + [end]
    starts: list[int] = []
    for payload in payloads:
        count = len(payload) // sector
        starts.append(len(fat))
        fat += [len(fat) + i + 1 for i in range(count - 1)] + [end]
    assert len(fat) <= sector // 4, "one FAT sector is enough for these tests"
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", free, right, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", start, size)
        )

    names = list(streams)
    entries = entry("Root Entry", 5, free, 1 if names else free, end, 0)
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else free
        entries += entry(name, 2, right, free, starts[i], len(payloads[i]))
    entries = entries.ljust(dir_sectors * sector, b"\0")
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, first_dir, 0, 4096, end, 0, end, 0)
        + struct.pack("<109I", 0, *[free] * 108)
    )
    return header + struct.pack(f"<{len(fat)}I", *fat) + entries + b"".join(payloads)


# --------------------------------------------------------------------------- DOC


@pytest.fixture(scope="module")
def converted() -> dict[str, Document]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice missing")
    # Concurrently, as workers would: each conversion has its own LibreOffice profile.
    with ThreadPoolExecutor(max_workers=3) as pool:
        docs = pool.map(lambda s: doc_format.parse((FIXTURES / f"{s}.doc").read_bytes()), SEEDS)
        return dict(zip(SEEDS, docs, strict=True))


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_doc_via_libreoffice(converted: dict[str, Document], seed: str) -> None:
    doc = converted[seed]
    expected = (FIXTURES / f"{seed}.expected.txt").read_text("utf-8")
    tables = json.loads((FIXTURES / f"{seed}.tables.json").read_text("utf-8"))
    assert doc.format == "doc" and doc.method == "conversion" and "fallback" not in doc.meta
    assert similarity(expected, flat_text(doc)) >= 0.99
    assert [t.grid() for t in doc.tables] == tables


def test_seed_doc_title_and_headings(converted: dict[str, Document]) -> None:
    doc = converted["001"]
    assert doc.title == "威海市环翠区行政审批服务局2019年政府信息公开工作年度报告"
    assert "一、总体情况" in [b.text for b in doc.blocks if b.kind == "heading"]


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_doc_text_fallback_without_libreoffice(seed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIANBAO_SOFFICE", "/nonexistent/soffice")
    data = (FIXTURES / f"{seed}.doc").read_bytes()
    assert doc_format.sniff(data)
    doc = doc_format.parse(data)
    expected = (FIXTURES / f"{seed}.expected.txt").read_text("utf-8")
    assert "not installed" in doc.meta["fallback"]
    assert doc.tables == []  # text only: cells become lines
    assert similarity(expected, doc.text) >= 0.99


def test_doc_falls_back_when_converter_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failing = fake_soffice(tmp_path, 'echo "Error: source file could not be loaded" >&2\nexit 1\n')
    monkeypatch.setenv("NIANBAO_SOFFICE", failing)
    doc = doc_format.parse((FIXTURES / "002.doc").read_bytes())
    assert "could not convert" in doc.meta["fallback"]
    assert "source file could not be loaded" in doc.meta["fallback"]
    assert "灵武市政务服务中心2017年度政府信息公开工作报告" in doc.text


def crashing_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crashes: int) -> Path:
    """``copying_soffice`` that dies of SIGSEGV on its first ``crashes`` runs; every run
    appends a line to the file returned."""
    runs = tmp_path / "runs"
    copying_soffice(tmp_path, monkeypatch, FIXTURES / "004.docx")
    copier = os.environ["NIANBAO_SOFFICE"]
    crasher = tmp_path / "crashing-soffice"
    crasher.write_text(
        f'#!/bin/sh\necho run >> "{runs}"\n'
        f'[ "$(wc -l < "{runs}")" -le {crashes} ] && kill -SEGV $$\nexec "{copier}" "$@"\n'
    )
    crasher.chmod(0o755)
    monkeypatch.setenv("NIANBAO_SOFFICE", str(crasher))
    return runs


def test_a_converter_that_crashes_once_is_run_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = crashing_soffice(tmp_path, monkeypatch, crashes=1)
    doc = doc_format.parse((FIXTURES / "004.doc").read_bytes())
    assert len(runs.read_text().splitlines()) == 2
    assert doc.method == "conversion" and "fallback" not in doc.meta
    assert "聊城市政务服务中心管理办公室" in doc.text


def test_a_converter_that_keeps_crashing_gives_up_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = crashing_soffice(tmp_path, monkeypatch, crashes=5)
    doc = doc_format.parse((FIXTURES / "004.doc").read_bytes())
    assert len(runs.read_text().splitlines()) == 2  # bounded: one retry
    assert "LibreOffice crashed (exit status -11" in doc.meta["fallback"]
    assert "聊城市政务服务中心管理办公室" in doc.text  # the text fallback still reads it


def test_a_converter_that_refuses_the_file_is_not_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = tmp_path / "runs"
    failing = fake_soffice(
        tmp_path, f'echo run >> "{runs}"\necho "Error: source file could not be loaded" >&2\nexit 1\n'
    )
    monkeypatch.setenv("NIANBAO_SOFFICE", failing)
    with pytest.raises(ParseError, match="could not convert"):
        convert_with_libreoffice((FIXTURES / "002.doc").read_bytes(), ".doc")
    assert len(runs.read_text().splitlines()) == 1


def test_doc_converter_hang_is_a_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pidfile = tmp_path / "sleeper.pid"
    hanging = fake_soffice(tmp_path, 'sleep 60 &\necho $! > "$FAKE_PIDFILE"\nwait\n')
    workdir = tmp_path / "tmp"
    workdir.mkdir()
    monkeypatch.setenv("NIANBAO_SOFFICE", hanging)
    monkeypatch.setenv("NIANBAO_CONVERT_TIMEOUT", "1")
    monkeypatch.setenv("FAKE_PIDFILE", str(pidfile))
    monkeypatch.setattr(tempfile, "tempdir", str(workdir))
    with pytest.raises(ParseError, match=r"timed out after 1 s"):
        doc_format.parse((FIXTURES / "003.doc").read_bytes())
    sleeper = int(pidfile.read_text())
    for _ in range(50):  # the killed grandchild is reaped by init shortly after
        try:
            os.kill(sleeper, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the converter's child process survived the timeout")
    assert list(workdir.iterdir()) == []  # the private temp dir (profile, copies) is gone


def test_doc_converter_gets_private_profile_and_argument_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args_file = copying_soffice(tmp_path, monkeypatch, FIXTURES / "004.docx")
    first = doc_format.parse((FIXTURES / "004.doc").read_bytes())
    profile_1 = [a for a in args_file.read_text().splitlines() if "UserInstallation" in a]
    doc_format.parse((FIXTURES / "004.doc").read_bytes())
    profile_2 = [a for a in args_file.read_text().splitlines() if "UserInstallation" in a]
    assert profile_1 and profile_2 and profile_1 != profile_2  # one profile per conversion
    assert profile_1[0].startswith("-env:UserInstallation=file:///")
    assert args_file.read_text().splitlines()[-1].endswith(".doc")
    assert first.format == "doc" and "聊城市政务服务中心管理办公室" in first.text


def test_corrupt_ole_is_a_parse_error() -> None:
    garbage = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00\xff" * 700
    truncated = (FIXTURES / "000.doc").read_bytes()[:3000]
    for data in (garbage, truncated):
        assert not doc_format.sniff(data) and not xls_format.sniff(data)
        with pytest.raises(ParseError, match="OLE2"):
            doc_format.parse(data)
        with pytest.raises(ParseError):
            xls_format.parse(data)


def test_ole_without_word_stream_is_not_a_doc() -> None:
    data = ole_file({"Something": b"hello"})
    assert not doc_format.sniff(data)
    with pytest.raises(ParseError, match="WordDocument"):
        doc_format.parse(data)


def test_encrypted_doc_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytearray((FIXTURES / "000.doc").read_bytes())
    fib = data.find(b"\xec\xa5")  # wIdent at the start of the WordDocument stream
    data[fib + 0x0B] |= 0x01  # FIB flags bit fEncrypted (0x0100)
    monkeypatch.setenv("NIANBAO_SOFFICE", "/nonexistent/soffice")
    with pytest.raises(ParseError, match="encrypted"):
        doc_format.parse(bytes(data))


# --------------------------------------------------------------------------- WPS


def test_works_wps_sniffed_and_converted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A synthesized MS Works file (no real one available): OLE2 with CONTENTS = "CHNKWKS…".
    works = ole_file({"CONTENTS": b"CHNKWKS \x01\x00\x00\x00", "SPELLING": b"x"})
    assert wps_format.sniff(works)
    assert not doc_format.sniff(works) and not xls_format.sniff(works)
    assert not wps_format.sniff(ole_file({"CONTENTS": b"something else"}))
    assert not wps_format.sniff((FIXTURES / "000.doc").read_bytes())  # Word binaries → doc.py
    args_file = copying_soffice(tmp_path, monkeypatch, FIXTURES / "003.docx")
    doc = wps_format.parse(works)
    assert doc.format == "wps" and doc.method == "conversion"
    assert "市政务服务中心管理办公室2017年政府信息公开工作年度报告" in doc.text
    assert args_file.read_text().splitlines()[-1].endswith(".wps")


@needs_soffice
def test_works_wps_that_libreoffice_cannot_read_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="could not convert"):
        wps_format.parse(ole_file({"CONTENTS": b"CHNKWKS garbage"}))


def test_wps_without_libreoffice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIANBAO_SOFFICE", "/nonexistent/soffice")
    with pytest.raises(ParseError, match="not installed"):
        wps_format.parse(ole_file({"MN0": b"works 4"}))


# --------------------------------------------------------------------------- XLS / XLSX


@pytest.mark.parametrize("seed", TABLE_SEEDS)
@pytest.mark.parametrize("fmt", [xls_format, xlsx_format], ids=["xls", "xlsx"])
def test_seed_legacy_table(seed: str, fmt) -> None:
    data = (FIXTURES / f"{seed}.table.{fmt.NAME}").read_bytes()
    assert fmt.sniff(data)
    doc = fmt.parse(data)
    assert doc.format == fmt.NAME
    assert [type(x).__name__ for x in doc.content] == ["Block", "Table"]
    assert doc.content[0].text == "统计表" and doc.content[0].kind == "heading"
    assert doc.tables[0].grid() == legacy_grid(seed)


def test_seed_002_values_shown_as_typed() -> None:
    for fmt in (xls_format, xlsx_format):
        grid = fmt.parse((FIXTURES / f"002.table.{fmt.NAME}").read_bytes()).tables[0].grid()
        values = [row[2] for row in grid]
        assert "9.5" in values  # not 9.50 or 9
        assert "" in values  # blanks stay blank
        assert not any(v.endswith(".0") for v in values)  # 4500.0 → 4500


def _workbook_bytes() -> bytes:
    """Two sheets with merges and number formats; the third sheet is empty."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "统计表"
    ws["B2"] = "某县政府信息公开情况统计表"
    ws.merge_cells("B2:D2")
    ws.append([])
    for row in (
        [None, "一、主动公开情况", "条", 4500.0],
        [None, None, "万元", 9.5],
        [None, "比例", "%", 0.125],
        [None, "经费", "元", 1234.5],
        [None, "日期", None, datetime(2018, 1, 31)],
    ):
        ws.append(row)
    ws.merge_cells("B4:B5")
    ws["D6"].number_format = "0.0%"
    ws["D7"].number_format = "#,##0.00"
    second = wb.create_sheet("附表")
    second["A1"], second["B1"], second["A2"] = "项目", "数量", "合计"
    wb.create_sheet("空表")
    wb.properties.title = "统计表 2018"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


EXPECTED_SHEET = [
    ["某县政府信息公开情况统计表"] * 3,
    ["", "", ""],
    ["一、主动公开情况", "条", "4500"],
    ["一、主动公开情况", "万元", "9.5"],
    ["比例", "%", "12.5%"],
    ["经费", "元", "1,234.50"],
    ["日期", "", "2018-01-31"],
]


def test_xlsx_sheets_merges_and_number_display() -> None:
    doc = xlsx_format.parse(_workbook_bytes())
    assert [(b.text, b.kind) for b in doc.blocks] == [("统计表", "heading"), ("附表", "heading")]
    first, second = doc.tables
    assert first.grid() == EXPECTED_SHEET  # the empty row/column before B2 are trimmed
    spans = {(c.text, c.rowspan, c.colspan) for c in first.cells}
    assert ("某县政府信息公开情况统计表", 1, 3) in spans and ("一、主动公开情况", 2, 1) in spans
    assert second.grid() == [["项目", "数量"], ["合计", ""]]
    assert doc.title == "统计表 2018"


@pytest.mark.slow
@needs_soffice
def test_xls_merges_and_number_display() -> None:
    data = convert_with_libreoffice(_workbook_bytes(), ".xlsx", target="xls:MS Excel 97")
    assert xls_format.sniff(data) and not xlsx_format.sniff(data)
    doc = xls_format.parse(data)
    assert [b.text for b in doc.blocks] == ["统计表", "附表"]
    assert doc.tables[0].grid() == EXPECTED_SHEET
    spans = {(c.text, c.rowspan, c.colspan) for c in doc.tables[0].cells}
    assert ("某县政府信息公开情况统计表", 1, 3) in spans and ("一、主动公开情况", 2, 1) in spans


def _rewrite_part(data: bytes, part: str, change) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info)
            dst.writestr(info, change(payload) if info.filename == part else payload)
    return out.getvalue()


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)


def _billion_laughs_workbook() -> bytes:
    def inject(xml: bytes) -> bytes:
        text = xml.decode().replace("<t>&#21512;&#35745;</t>", "<t>&lol9;</t>")  # 合计
        assert "&lol9;" in text
        return (LAUGHS + re.sub(r"^<\?xml[^>]*\?>", "", text)).encode()

    return _rewrite_part(_workbook_bytes(), "xl/worksheets/sheet2.xml", inject)


def test_xlsx_billion_laughs_is_refused() -> None:
    with pytest.raises(ParseError, match="DTD"):
        xlsx_format.parse(_billion_laughs_workbook())


def test_openpyxl_itself_refuses_entities_through_defusedxml() -> None:
    # The second layer: openpyxl switches to defusedxml when it is installed.
    from defusedxml import EntitiesForbidden

    with pytest.raises(Exception) as caught:
        openpyxl.load_workbook(io.BytesIO(_billion_laughs_workbook()))
    assert isinstance(caught.value.__cause__ or caught.value.__context__, EntitiesForbidden)


def test_xlsx_used_area_over_the_limit() -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["ZZ9999"] = "x", "y"  # 702 × 9999 ≈ 7 million cells
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ParseError, match="over the limit"):
        xlsx_format.parse(buf.getvalue())


def test_xlsx_part_over_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "XLSX_MAX_PART_BYTES", 1000)
    with pytest.raises(ParseError, match="over the limit"):
        xlsx_format.parse(_workbook_bytes())


def test_corrupt_xlsx() -> None:
    data = (FIXTURES / "000.table.xlsx").read_bytes()
    assert not xlsx_format.sniff(data[: len(data) // 2])
    with pytest.raises(ParseError):
        xlsx_format.parse(data[: len(data) // 2])
    no_sheet = _rewrite_part(data, "xl/worksheets/sheet1.xml", lambda _: b"<worksheet")
    with pytest.raises(ParseError, match="corrupt XLSX"):
        xlsx_format.parse(no_sheet)


def test_spreadsheets_are_not_other_formats() -> None:
    xlsx_bytes = (FIXTURES / "000.table.xlsx").read_bytes()
    xls_bytes = (FIXTURES / "000.table.xls").read_bytes()
    docx_bytes = (FIXTURES / "000.docx").read_bytes()
    assert not xls_format.sniff(xlsx_bytes) and not doc_format.sniff(xls_bytes)
    assert not xlsx_format.sniff(docx_bytes) and not wps_format.sniff(xls_bytes)
