"""ZIP parser: members parsed into attachments, GBK names, and the limits on hostile archives."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from parsers import limits
from parsers.document import Document, ParseError
from parsers.formats import zip as zip_format

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "seeds"
DOCX = (FIXTURES / "001.docx").read_bytes()
PDF = (FIXTURES / "003.pdf").read_bytes()


def make_zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def member_errors(doc: Document) -> dict[str, str]:
    return {e["member"]: e["error"] for e in json.loads(doc.meta.get("member_errors", "[]"))}


def test_docx_and_pdf_members_become_attachments() -> None:
    data = make_zip([("年报/2019年报.docx", DOCX), ("年报/2017年报.pdf", PDF), ("年报/", b"")])
    assert zip_format.sniff(data)
    doc = zip_format.parse(data)
    assert doc.format == "zip" and "member_errors" not in doc.meta
    assert [(a.format, a.meta["member"]) for a in doc.attachments] == [
        ("docx", "年报/2019年报.docx"),
        ("pdf", "年报/2017年报.pdf"),
    ]
    assert "2019年政府信息公开工作年度报告" in doc.attachments[0].text
    assert doc.attachments[1].title == "市政务服务中心管理办公室2017年政府信息公开工作年度报告"


def test_office_packages_are_not_plain_zips() -> None:
    assert not zip_format.sniff(DOCX)
    assert not zip_format.sniff((FIXTURES / "000.table.xlsx").read_bytes())
    assert not zip_format.sniff(PDF)


def test_gbk_member_names_without_utf8_flag() -> None:
    gbk_name = "统计表.docx".encode("gbk")
    placeholder = b"x" * (len(gbk_name) - 5) + b".docx"  # same length, ASCII: no UTF-8 flag
    data = make_zip([(placeholder.decode(), DOCX)]).replace(placeholder, gbk_name)
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    assert not info.flag_bits & 0x800 and info.filename != "统计表.docx"  # zipfile saw cp437
    doc = zip_format.parse(data)
    assert doc.attachments[0].meta["member"] == "统计表.docx"


def test_zip_bomb_member_is_rejected_and_the_rest_parsed() -> None:
    data = make_zip([("zeros.bin", bytes(50 * 1024 * 1024)), ("report.pdf", PDF)])
    assert len(data) < 1024 * 1024
    doc = zip_format.parse(data)
    assert "zip bomb" in member_errors(doc)["zeros.bin"]
    assert [a.meta["member"] for a in doc.attachments] == ["report.pdf"]


def test_total_unpacked_size_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "ZIP_MAX_TOTAL_BYTES", 2 * 1024 * 1024 + 1000)
    noise = [(f"n{i}.bin", os.urandom(1024 * 1024)) for i in range(3)]  # incompressible
    doc = zip_format.parse(make_zip(noise))
    errors = member_errors(doc)
    assert "unrecognised" in errors["n0.bin"] and "unrecognised" in errors["n1.bin"]  # unpacked
    assert "in all" in errors["n2.bin"]


def test_unsafe_member_names_are_skipped() -> None:
    unsafe = ["../escape.pdf", "/etc/escape.pdf", "C:\\escape.pdf", "a/../../escape.pdf"]
    doc = zip_format.parse(make_zip([*[(n, PDF) for n in unsafe], ("./ok/report.pdf", PDF)]))
    errors = member_errors(doc)
    assert sorted(errors) == sorted(unsafe)
    assert all("unsafe path" in e for e in errors.values())
    assert [a.meta["member"] for a in doc.attachments] == ["ok/report.pdf"]


def test_too_many_members_is_a_parse_error() -> None:
    data = make_zip([(f"{i}.txt", b"") for i in range(limits.ZIP_MAX_MEMBERS + 1)])
    with pytest.raises(ParseError, match="members, over the limit"):
        zip_format.parse(data)


def test_nested_zip_one_level_deep() -> None:
    inner = make_zip([("inner.pdf", PDF)])
    innermost = make_zip([("deep.pdf", PDF)])
    middle = make_zip([("deeper.zip", innermost)])
    doc = zip_format.parse(make_zip([("inner.zip", inner), ("middle.zip", middle)]))
    first, second = doc.attachments
    assert first.format == "zip" and first.meta["member"] == "inner.zip"
    assert [a.meta["member"] for a in first.attachments] == ["inner.pdf"]
    assert second.attachments == []
    assert "nested" in member_errors(second)["deeper.zip"]


def test_failing_members_are_noted_not_fatal() -> None:
    data = make_zip([("broken.pdf", PDF[:200]), ("notes.txt", b"plain text"), ("ok.pdf", PDF)])
    doc = zip_format.parse(data)
    errors = member_errors(doc)
    assert set(errors) == {"broken.pdf", "notes.txt"}
    assert "unrecognised" in errors["notes.txt"]
    assert [a.meta["member"] for a in doc.attachments] == ["ok.pdf"]


def test_corrupt_member_crc(monkeypatch: pytest.MonkeyPatch) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("report.pdf", PDF)
    data = buf.getvalue().replace(b"%PDF-", b"%PDX-", 1)  # stored bytes no longer match the CRC
    assert "corrupt member" in member_errors(zip_format.parse(data))["report.pdf"]


def test_spent_time_budget_stops_members(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "ZIP_TIME_BUDGET", 0.0)
    doc = zip_format.parse(make_zip([("a.pdf", PDF)]))
    assert doc.attachments == []
    assert "time budget" in member_errors(doc)["a.pdf"]


def test_corrupt_zip_is_a_parse_error() -> None:
    data = make_zip([("a.pdf", PDF)])
    assert not zip_format.sniff(data[:100])
    with pytest.raises(ParseError, match="ZIP"):
        zip_format.parse(data[:100])
