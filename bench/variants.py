"""Many different documents from the few seed fixtures: every variant has its own sha256.

HTML and DOCX variants really differ in their text: the department name in the title
changes and the figures of the statistics tables move (``+ n % 7``). PDF variants differ
only by a comment line after ``%%EOF`` (the content streams are compressed and their fonts
subset, so changing the text would mean re-rendering): their parse work is the same as
the seed's, which is what a benchmark needs.

>>> pdf_variant(b"%PDF-1.4\\n%%EOF\\n", 7)[-24:]
b'%%EOF\\n% nianbao-bench 7\\n'
>>> vary_numbers("<td>12</td><td>0</td>", 3)
'<td>15</td><td>3</td>'
>>> department(0), department(30)
('市教育局', '第2市教育局')
"""

from __future__ import annotations

import io
import re
import zipfile
from functools import cache
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "seeds"
SEEDS = ("000", "001", "002", "003", "004")

_DEPARTMENTS = (
    "市教育局",
    "市公安局",
    "市民政局",
    "市司法局",
    "市财政局",
    "市人力资源和社会保障局",
    "市自然资源和规划局",
    "市生态环境局",
    "市住房和城乡建设局",
    "市交通运输局",
    "市水利局",
    "市农业农村局",
    "市商务局",
    "市文化广电和旅游局",
    "市卫生健康委员会",
    "市退役军人事务局",
    "市应急管理局",
    "市审计局",
    "市市场监督管理局",
    "市医疗保障局",
    "市城市管理局",
    "市行政审批服务局",
    "市统计局",
    "市林业局",
    "市体育局",
    "市信访局",
    "市人民防空办公室",
    "市地方金融监督管理局",
    "市大数据管理局",
    "市科学技术局",
)
_CELL_NUMBER = re.compile(r">(\d{1,7})<")
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)


def department(n: int) -> str:
    """A department name; every 30 names a new prefix keeps them apart."""
    base = _DEPARTMENTS[n % len(_DEPARTMENTS)]
    rounds = n // len(_DEPARTMENTS)
    return base if rounds == 0 else f"第{rounds + 1}{base}"


def report_title(n: int, year: int) -> str:
    return f"{department(n)}{year}年政府信息公开工作年度报告"


@cache
def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def vary_numbers(markup: str, n: int) -> str:
    """Move every whole-cell number by ``n % 7`` (figures differ, shapes stay)."""
    delta = n % 7
    return _CELL_NUMBER.sub(lambda m: f">{int(m.group(1)) + delta}<", markup)


@cache
def body_fragment(seed: str) -> str:
    """The inside of ``<body>`` of a seed's HTML rendering."""
    html = fixture(f"{seed}.body.html").decode("utf-8")
    m = _BODY.search(html)
    return (m.group(1) if m else html).strip()


def html_body_variant(seed: str, n: int, name: str) -> str:
    """A seed's report body naming ``name``, with its figures moved."""
    return f"<p>{name}（第{n}号）</p>\n" + vary_numbers(body_fragment(seed), n)


def pdf_variant(data: bytes, n: int) -> bytes:
    """A PDF with a comment after its end: other bytes, same pages."""
    return data + f"% nianbao-bench {n}\n".encode()


def docx_variant(data: bytes, n: int, name: str) -> bytes:
    """A DOCX whose body starts with a paragraph naming ``name`` and whose figures moved."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            member = src.read(info.filename)
            if info.filename == "word/document.xml":
                member = _vary_docx_xml(member.decode("utf-8"), n, name).encode("utf-8")
            dst.writestr(info, member)
    return out.getvalue()


def _vary_docx_xml(xml: str, n: int, name: str) -> str:
    para = f"<w:p><w:r><w:t>{_xml_escape(name)}（第{n}号）</w:t></w:r></w:p>"
    xml = re.sub(r"(<w:body[^>]*>)", lambda m: m.group(1) + para, xml, count=1)
    return vary_numbers(xml, n)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attachment(kind: str, seed: str, n: int, name: str) -> bytes:
    """Bytes of an attachment variant: ``kind`` is ``pdf`` or ``docx``."""
    if kind == "pdf":
        return pdf_variant(fixture(f"{seed}.pdf"), n)
    if kind == "docx":
        return docx_variant(fixture(f"{seed}.docx"), n, name)
    raise ValueError(f"no variants of {kind!r}")
