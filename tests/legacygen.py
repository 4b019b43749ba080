# ruff: noqa: E501  (the FORM table: one row of the form per line reads best)
"""Province-style variants of the legacy 政府信息公开情况统计表, each knowing its own truth.

Real 2008–2018 statistics tables follow the national form loosely: provinces and counties
reword rows, renumber them (``（一）`` / ``1.`` / ``一、`` / none), add rows of their own,
drop rows, put a 历年累计 (cumulative) column beside the year's, write the unit into the label
(``收到申请数（件）``) instead of a unit column, and merge header cells. :func:`generate` draws
one such table from a seed (``random.Random(seed)``: the same seed gives the same table);
:func:`render_html`, :func:`render_docx` and :func:`render_xlsx` write it as a real file, and
:func:`score` compares what the extractor made of it with the truth.

Every data row gets a value no other row of the table has (and a cumulative value above all
year values), so a metric is traced back to its row by its value alone.

    python -m tests.legacygen 0 200     # score seeds 0..199 with the current extractor
"""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from parsers.document import Block, Document
from parsers.metrics import extract
from parsers.metrics.tables import table_from_grid

# (level, key without "legacy." or "" for a heading, label variants seen in real tables, unit)
# level 0: section heading · 1: item · 2: sub-item · 3: a "其中" part
FORM: list[tuple[int, str, list[str], str]] = [
    (0, "", ["主动公开情况", "主动公开政府信息情况"], ""),
    (1, "active.total", ["主动公开政府信息数", "主动公开政府信息条数", "主动公开信息总数",
                         "主动公开政府信息数（不同渠道和方式公开相同信息计1条）"], "条"),
    (3, "active.normative_documents", ["其中：主动公开规范性文件数", "其中主动公开规范性文件数",
                                       "主动公开规范性文件条数"], "条"),
    (3, "normative_documents.issued", ["制发规范性文件总数", "制发规范性文件数", "本年制发规范性文件数"], "件"),
    (1, "", ["通过不同渠道和方式公开政府信息的情况", "公开渠道情况"], ""),
    (2, "channels.gazette", ["政府公报公开政府信息数", "通过政府公报公开信息数", "政府公报公开数"], "条"),
    (2, "channels.website", ["政府网站公开政府信息数", "通过政府网站公开信息数", "门户网站公开政府信息数"], "条"),
    (2, "channels.weibo", ["政务微博公开政府信息数", "通过政务微博公开信息数"], "条"),
    (2, "channels.wechat", ["政务微信公开政府信息数", "通过政务微信公开信息数", "微信公众号公开政府信息数"], "条"),
    (2, "channels.other", ["其他方式公开政府信息数", "通过其他方式公开信息数"], "条"),
    (0, "", ["回应解读情况", "解读回应情况"], ""),
    (1, "responses.hot_topics", ["回应公众关注热点或重大舆情数", "回应社会关切热点数", "回应公众关注热点数"], "次"),
    (1, "", ["通过不同渠道和方式回应解读的情况"], ""),
    (2, "responses.press_conferences", ["参加或举办新闻发布会总次数", "举办新闻发布会次数", "召开新闻发布会数"], "次"),
    (3, "responses.press_conferences_by_head", ["其中：主要负责同志参加新闻发布会次数",
                                                "主要负责人参加新闻发布会次数"], "次"),
    (2, "responses.online_interviews", ["政府网站在线访谈次数", "在线访谈次数", "网上访谈数"], "次"),
    (3, "responses.online_interviews_by_head", ["其中：主要负责同志参加政府网站在线访谈次数",
                                                "主要负责人参加在线访谈次数"], "次"),
    (2, "responses.interpretations", ["政策解读稿件发布数", "发布政策解读稿件数", "政策解读数"], "篇"),
    (2, "responses.weibo_wechat", ["微博微信回应事件数", "通过微博微信回应事件数"], "次"),
    (2, "responses.other", ["其他方式回应事件数", "通过其他方式回应数"], "次"),
    (0, "", ["依申请公开情况", "依申请公开政府信息情况"], ""),
    (1, "requests.received", ["收到申请数", "受理申请总数", "收到政府信息公开申请数", "受理政府信息公开申请数"], "件"),
    (2, "requests.received_in_person", ["当面申请数", "现场申请数", "当面提出申请数"], "件"),
    (2, "requests.received_fax", ["传真申请数", "通过传真申请数"], "件"),
    (2, "requests.received_email", ["电子邮件申请数", "电子邮箱申请数", "通过电子邮件申请数"], "件"),
    (2, "requests.received_online", ["网络申请数", "网上申请数", "互联网申请数", "在线申请数"], "件"),
    (2, "requests.received_letter", ["信函申请数", "来信申请数", "邮寄申请数"], "件"),
    (2, "requests.received_other", ["其他形式申请数", "其他形式", "其他方式申请数"], "件"),
    (1, "requests.closed", ["申请办结数", "已办结申请数", "办结申请数"], "件"),
    (2, "requests.closed_on_time", ["按时办结数", "按期办结数", "在法定期限内办结数"], "件"),
    (2, "requests.closed_extended", ["延期办结数", "延长期限办结数"], "件"),
    (1, "requests.answered", ["申请答复数", "答复申请数", "已答复申请数"], "件"),
    (2, "requests.answered_already_public", ["属于已主动公开范围数", "属于已主动公开范围的", "已主动公开数"], "件"),
    (2, "requests.answered_granted", ["同意公开答复数", "同意公开数", "予以公开答复数"], "件"),
    (2, "requests.answered_partly_granted", ["同意部分公开答复数", "部分公开答复数", "同意部分公开数"], "件"),
    (2, "requests.answered_denied", ["不同意公开答复数", "不予公开答复数", "否决公开答复数", "不同意公开数"], "件"),
    (3, "requests.denied_state_secret", ["其中：涉及国家秘密", "涉及国家秘密数", "属于国家秘密的"], "件"),
    (3, "requests.denied_commercial_secret", ["涉及商业秘密", "涉及商业秘密数"], "件"),
    (3, "requests.denied_privacy", ["涉及个人隐私", "涉及个人隐私数"], "件"),
    (3, "requests.denied_security_stability", ["危及国家安全、公共安全、经济安全和社会稳定",
                                               "危及“三安全一稳定”"], "件"),
    (3, "requests.denied_not_government_information", ["不是《条例》所指政府信息", "不属于政府信息",
                                                       "非《条例》所指政府信息"], "件"),
    (3, "requests.denied_other_law", ["法律法规规定的其他情形", "法律、法规规定的其他情形"], "件"),
    (2, "requests.answered_not_this_agency", ["不属于本行政机关公开数", "不属于本机关公开职责权限范围数",
                                              "非本机关政府信息数"], "件"),
    (2, "requests.answered_not_exist", ["申请信息不存在数", "信息不存在数", "申请公开的信息不存在数"], "件"),
    (2, "requests.answered_correction", ["告知作出更改补充数", "告知申请人更改补充申请数", "告知更改、补充申请数"], "件"),
    (2, "requests.answered_other_channel", ["告知通过其他途径办理数", "告知申请人通过其他途径办理数"], "件"),
    (0, "review.total", ["行政复议数量", "行政复议数", "因政府信息公开申请行政复议数", "行政复议案件数"], "件"),
    (1, "review.upheld", ["维持具体行政行为数", "维持行政行为数"], "件"),
    (1, "review.corrected", ["被依法纠错数", "被纠错数", "依法纠错数"], "件"),
    (1, "review.other", ["其他情形数", "其他情形"], "件"),
    (0, "litigation.total", ["行政诉讼数量", "行政诉讼数", "因政府信息公开申请提起行政诉讼数", "行政诉讼案件数"], "件"),
    (1, "litigation.upheld", ["维持具体行政行为或者驳回原告诉讼请求数", "维持具体行政行为数"], "件"),
    (1, "litigation.corrected", ["被依法纠错数", "被纠错数"], "件"),
    (1, "litigation.other", ["其他情形数", "其他情形"], "件"),
    (0, "complaints.total", ["举报投诉数量", "被举报投诉数量", "举报投诉数", "因政府信息公开被举报投诉数"], "件"),
    (1, "complaints.upheld", ["维持具体行政行为数"], "件"),
    (1, "complaints.corrected", ["被纠错数", "被依法纠错数"], "件"),
    (1, "complaints.other", ["其他情形数"], "件"),
    (0, "appeals.total", ["行政申诉数", "行政申诉数量", "因政府信息公开申诉数"], "件"),
    (1, "appeals.upheld", ["维持具体行政行为数", "维持原决定数"], "件"),
    (1, "appeals.corrected", ["被纠错数", "被依法纠错数"], "件"),
    (1, "appeals.other", ["其他情形数"], "件"),
    (0, "archive_submissions.total", ["向图书馆、档案馆等查阅场所报送信息数", "向档案馆、图书馆报送信息数"], "条"),
    (1, "archive_submissions.paper", ["纸质文件数", "报送纸质文件数"], "条"),
    (1, "archive_submissions.electronic", ["电子文件数", "报送电子文件数"], "条"),
    (0, "fees_10k_yuan", ["依申请公开信息收取的费用", "收取费用", "依申请提供信息收费金额"], "万元"),
    (0, "", ["机构建设和保障经费情况", "机构建设和经费保障情况"], ""),
    (1, "staffing.units", ["政府信息公开工作专门机构数", "专门机构数", "工作机构数"], "个"),
    (1, "staffing.reading_points", ["设置政府信息公开查阅点数", "查阅点数", "设置查阅场所数"], "个"),
    (1, "staffing.staff", ["从事政府信息公开工作人员数", "工作人员数", "从事政府信息公开工作人数"], "人"),
    (2, "staffing.staff_full_time", ["专职人员数（不包括政府公报及政府网站工作人员数）", "专职人员数", "专职人员"], "人"),
    (2, "staffing.staff_part_time", ["兼职人员数", "兼职人员"], "人"),
    (1, "staffing.budget_10k_yuan", ["政府信息公开专项经费", "专项经费", "工作经费"], "万元"),
    (0, "", ["政府信息公开会议和培训情况", "会议和培训情况"], ""),
    (1, "meetings.conferences", ["召开政府信息公开工作会议或专题会议数", "召开工作会议数", "召开专题会议数"], "次"),
    (1, "meetings.trainings", ["举办各类培训班数", "举办培训班数", "组织培训次数"], "次"),
    (1, "meetings.trainees", ["接受培训人员数", "培训人员数", "参加培训人次"], "人次"),
]  # fmt: skip

# Rows of provincial variants that mean no key, by the section they turn up in (real labels).
UNKNOWN: dict[str, list[str]] = {
    "active.total": ["公开栏更新次数", "政务公开专栏更新数"],
    "requests.received": ["信函、传真申请数"],
    "requests.answered": ["其他类型答复数", "转办申请数"],
    "litigation.total": ["接受行政诉讼、举报数"],
    "staffing.units": ["政府信息公开咨询数", "网站访问量"],
    "meetings.conferences": ["信息公开保密审查数", "社会评议次数"],
}

# Sections some provinces added that no key means (咨询, 查阅, 查询), with rows that reuse the
# application channels' words: 网上咨询数 is not an online application.
UNKNOWN_SECTIONS = ["咨询情况", "政府信息查阅情况", "政府信息查询情况", "公众咨询和查阅情况"]
UNKNOWN_SECTION_ROWS = ["网上咨询数", "电话咨询数", "现场咨询数", "网上查询人次", "其他形式咨询数",
                        "现场查阅人次", "其他方式查询数", "信函咨询数"]  # fmt: skip

CASE_SECTIONS = {"review", "litigation", "complaints", "appeals"}
NUMBERING = {
    "cn": lambda i: "一二三四五六七八九十"[i % 10] + "、",
    "paren_cn": lambda i: "（" + "一二三四五六七八九十"[i % 10] + "）",
    "arabic": lambda i: f"{i + 1}.",
    "arabic_dun": lambda i: f"{i + 1}、",
    "paren_arabic": lambda i: f"({i + 1})",
    "none": lambda i: "",
}
YEAR_HEADERS = ["统计数", "2013年度", "本年度", "本年", "数量"]
CUM_HEADERS = ["历年累计", "累计数", "累计"]


@dataclass
class Row:
    label: str
    key: str | None  # "legacy.…", None for a row that means no key, "" for a heading
    unit: str
    value: float | int | None = None
    cumulative: float | int | None = None


@dataclass
class Variant:
    seed: int
    rows: list[Row]
    unit_column: bool
    cumulative: bool
    cumulative_first: bool  # the 历年累计 column left of the year's
    merged_header: bool
    year_header: str
    cum_header: str
    heading_span: bool  # a heading's label spans the whole row
    notes: list[str] = field(default_factory=list)

    @property
    def header_rows(self) -> list[list[tuple[str, int, int]]]:
        """Header rows as (text, rowspan, colspan) cells."""
        value_cols = [self.year_header] + ([self.cum_header] if self.cumulative else [])
        if self.cumulative_first:
            value_cols.reverse()
        label = "统计指标" if self.unit_column else "指标名称"
        if not self.merged_header:
            return [
                [
                    (label, 1, 1),
                    *([("单位", 1, 1)] if self.unit_column else []),
                    *((c, 1, 1) for c in value_cols),
                ]
            ]
        top = [
            (label, 2, 1),
            *([("计量单位", 2, 1)] if self.unit_column else []),
            ("统计数", 1, len(value_cols)),
        ]
        sub = [(c if c != "统计数" else "本年度", 1, 1) for c in value_cols]
        return [top, sub]

    @property
    def width(self) -> int:
        return 1 + int(self.unit_column) + 1 + int(self.cumulative)

    def body_rows(self) -> list[list[tuple[str, int, int]]]:
        out = []
        for row in self.rows:
            if not row.key and row.key is not None:  # heading
                if self.heading_span:
                    out.append([(row.label, 1, self.width)])
                else:
                    unit = [("——", 1, 1)] if self.unit_column else []
                    out.append([(row.label, 1, 1), *unit, *[("", 1, 1)] * (1 + int(self.cumulative))])
                continue
            unit = [(row.unit, 1, 1)] if self.unit_column else []
            values = [_fmt(row.value)] + ([_fmt(row.cumulative)] if self.cumulative else [])
            if self.cumulative_first:
                values.reverse()
            out.append([(row.label, 1, 1), *unit, *((v, 1, 1) for v in values)])
        return out

    def grid(self) -> list[list[str]]:
        """The table as :meth:`parsers.document.Table.grid` gives it (spans repeated)."""
        rows = self.header_rows + self.body_rows()
        grid: list[list[str | None]] = [[None] * self.width for _ in rows]
        for r, row in enumerate(rows):
            c = 0
            for text, rs, cs in row:
                while grid[r][c] is not None:
                    c += 1
                for dr in range(rs):
                    for dc in range(cs):
                        grid[r + dr][c + dc] = text
                c += cs
        return [[x or "" for x in row] for row in grid]

    def truth(self) -> dict[str, float | int]:
        """key → the year's value, for the rows that have a key."""
        return {r.key: r.value for r in self.rows if r.key and r.value is not None}


def _fmt(v: float | int | None) -> str:
    return "" if v is None else str(v)


def generate(seed: int) -> Variant:
    """One province-style variant, deterministic for ``seed``."""
    rnd = random.Random(seed)
    styles = rnd.sample(list(NUMBERING), 3) if rnd.random() < 0.7 else ["cn", "paren_cn", "arabic"]
    if rnd.random() < 0.2:
        styles = ["none", "none", "none"]
    unit_column = rnd.random() < 0.6
    unit_in_label = not unit_column and rnd.random() < 0.7
    rows: list[Row] = []
    counters = [0, 0, 0]
    skip_children = False
    for level, key, variants, unit in FORM:
        if level == 0:
            skip_children = False
        elif skip_children:
            continue
        # dropped rows (a heading, a part, an item: provinces left them out)
        if rnd.random() < (0.12 if level else 0.05):
            # A form without 行政诉讼 has no 维持 / 纠错 / 其他 rows of it either: left alone, they
            # would read as the previous section's (for a person as for the parser).
            skip_children = level == 0 and key.split(".")[0] in CASE_SECTIONS
            continue
        label = rnd.choice(variants)
        if level == 3 or label.startswith("其中"):
            prefix = ""
        else:
            depth = min(level, 2)
            prefix = NUMBERING[styles[depth]](counters[depth])
            counters[depth] += 1
            for d in range(depth + 1, 3):
                counters[d] = 0
        if unit_in_label and unit:
            label += rnd.choice([f"（{unit}）", f"({unit})", f"（单位：{unit}）"])
        rows.append(Row(prefix + label, "legacy." + key if key else "", unit))
        if key in UNKNOWN and rnd.random() < 0.35:
            extra = rnd.choice(UNKNOWN[key])
            rows.append(Row(extra, None, rnd.choice(["件", "次", "条", "人次"])))
    _shuffle_siblings(rnd, rows)
    if rnd.random() < 0.3:
        _add_unknown_section(rnd, rows, styles[0])
    cumulative = rnd.random() < 0.45
    _fill_values(rnd, rows, cumulative)
    year_header = rnd.choice(YEAR_HEADERS)
    return Variant(
        seed=seed,
        rows=rows,
        unit_column=unit_column,
        cumulative=cumulative,
        cumulative_first=cumulative and rnd.random() < 0.3,
        merged_header=rnd.random() < 0.5,
        year_header=year_header,
        cum_header=rnd.choice(CUM_HEADERS),
        heading_span=rnd.random() < 0.5,
    )


def _add_unknown_section(rnd: random.Random, rows: list[Row], style: str) -> None:
    """A section no key means, right after the application channels (where their words would
    be read as channels if the section were missed) or else at the end."""
    at = max(
        (i + 1 for i, r in enumerate(rows) if (r.key or "").startswith("legacy.requests.received")), default=0
    )
    at = at or len(rows)
    heading = NUMBERING[style](rnd.randrange(3, 9)) + rnd.choice(UNKNOWN_SECTIONS)
    extra = [Row(label, None, "人次") for label in rnd.sample(UNKNOWN_SECTION_ROWS, rnd.randint(2, 4))]
    rows[at:at] = [Row(heading, "", None), *extra]


def _shuffle_siblings(rnd: random.Random, rows: list[Row]) -> None:
    """Swap two neighbouring channel rows now and then (provinces reorder them)."""
    for i in range(len(rows) - 1):
        a, b = rows[i], rows[i + 1]
        if (
            a.key
            and b.key
            and a.key.rsplit("_", 1)[0] == b.key.rsplit("_", 1)[0]
            and a.key.startswith("legacy.requests.received_")
            and rnd.random() < 0.3
        ):
            rows[i], rows[i + 1] = b, a


def _fill_values(rnd: random.Random, rows: list[Row], cumulative: bool) -> None:
    data = [r for r in rows if r.key != ""]
    year = rnd.sample(range(1, 5000), len(data))
    cum = rnd.sample(range(5000, 60000), len(data))
    for r, v, c in zip(data, year, cum, strict=True):
        if r.unit == "万元":
            r.value, r.cumulative = v / 100, c / 100  # amounts with decimals
        else:
            r.value, r.cumulative = v, c
        if not cumulative:
            r.cumulative = None


# ----------------------------------------------------------------------------- renderers


def render_html(v: Variant) -> bytes:
    out = ["<html><head><meta charset='utf-8'><title>2013年政府信息公开工作年度报告</title></head><body>"]
    out.append("<div class='TRS_Editor'><p>某县2013年政府信息公开工作年度报告</p>")
    out.append("<p>六、政府信息公开情况统计表</p><table border='1'>")
    for row in v.header_rows + v.body_rows():
        cells = "".join(
            f"<td rowspan='{rs}' colspan='{cs}'>{escape(t)}</td>"
            if (rs, cs) != (1, 1)
            else f"<td>{escape(t)}</td>"
            for t, rs, cs in row
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</table></div></body></html>")
    return "".join(out).encode("utf-8")


def _place(v: Variant) -> list[tuple[int, int, int, int, str]]:
    """(row, col, rowspan, colspan, text) of every drawn cell."""
    rows = v.header_rows + v.body_rows()
    taken = [[False] * v.width for _ in rows]
    out = []
    for r, row in enumerate(rows):
        c = 0
        for text, rs, cs in row:
            while taken[r][c]:
                c += 1
            for dr in range(rs):
                for dc in range(cs):
                    taken[r + dr][c + dc] = True
            out.append((r, c, rs, cs, text))
            c += cs
    return out


def render_docx(v: Variant) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("某县2013年政府信息公开工作年度报告")
    d.add_paragraph("六、政府信息公开情况统计表")
    n = len(v.header_rows) + len(v.body_rows())
    table = d.add_table(rows=n, cols=v.width)
    table.style = "Table Grid"  # ruled, as real forms are (and as PDF table finders need)
    for r, c, rs, cs, text in _place(v):
        cell = table.cell(r, c)
        if (rs, cs) != (1, 1):
            cell = cell.merge(table.cell(r + rs - 1, c + cs - 1))
        cell.text = text
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def render_xlsx(v: Variant) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "统计表"
    for r, c, rs, cs, text in _place(v):
        ws.cell(row=r + 1, column=c + 1, value=_xlsx_value(text))
        if (rs, cs) != (1, 1):
            ws.merge_cells(start_row=r + 1, start_column=c + 1, end_row=r + rs, end_column=c + cs)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render_pdfs(variants: list[Variant], work: Path) -> list[bytes]:
    """PDFs of the DOCX renderings, made by LibreOffice in one batched run (as a report's PDF
    exported from Word or WPS would be)."""
    sources = []
    for v in variants:
        path = work / f"legacy_{v.seed}.docx"
        path.write_bytes(render_docx(v))
        sources.append(path)
    profile = (work / "lo-profile").as_uri()
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation={profile}", "--convert-to", "pdf",
         "--outdir", str(work), *map(str, sources)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return [path.with_suffix(".pdf").read_bytes() for path in sources]


def _xlsx_value(text: str) -> str | int | float:
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+\.\d+", text):
        return float(text)
    return text


def grid_document(v: Variant) -> Document:
    """The table as the format parsers would hand it over, without a file."""
    return Document("html", [Block("某县2013年政府信息公开工作年度报告"), table_from_grid(v.grid())])


# ----------------------------------------------------------------------------- scoring


@dataclass
class Score:
    right: int = 0  # under its own key (or legacy.other.<n> for a row meaning no key)
    other: int = 0  # a row with a key kept under legacy.other.<n>: not lost, not wrong
    wrong: int = 0  # under another row's key
    missing: int = 0  # not stored at all
    cumulative_wrong: int = 0  # a 历年累计 value under a year key, or a year value under a cumulative one
    failures: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.right + self.other + self.wrong + self.missing

    def add(self, other: Score) -> None:
        for name in ("right", "other", "wrong", "missing", "cumulative_wrong"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failures += other.failures


_OTHER = re.compile(r"^legacy\.(cumulative\.)?other\.\d+$")


def score(v: Variant, metrics: dict[str, float | int | None]) -> Score:
    """Where each data row of ``v`` landed in ``metrics`` (key → value)."""
    s = Score()
    by_value: dict[float, list[str]] = {}
    for key, value in metrics.items():
        if value is not None:
            by_value.setdefault(round(float(value), 4), []).append(key)
    for row in v.rows:
        if row.key == "":
            continue
        keys = by_value.get(round(float(row.value or 0), 4), [])
        year_keys = [k for k in keys if not k.startswith("legacy.cumulative.")]
        if any(k.startswith("legacy.cumulative.") for k in keys):
            s.cumulative_wrong += 1
            s.failures.append(f"seed {v.seed}: year value of {row.label!r} under {keys}")
        if not year_keys:
            s.missing += 1
            s.failures.append(f"seed {v.seed}: {row.label!r} ({row.key}) missing")
        elif row.key in year_keys or (row.key is None and all(_OTHER.match(k) for k in year_keys)):
            s.right += 1
        elif all(_OTHER.match(k) for k in year_keys):
            s.other += 1
        else:
            s.wrong += 1
            s.failures.append(f"seed {v.seed}: {row.label!r} ({row.key}) under {year_keys}")
        if v.cumulative:
            ckeys = by_value.get(round(float(row.cumulative or 0), 4), [])
            want = row.key.replace("legacy.", "legacy.cumulative.", 1) if row.key else None
            if any(not k.startswith("legacy.cumulative.") for k in ckeys) or (
                ckeys and want not in ckeys and not all(_OTHER.match(k) for k in ckeys)
            ):
                s.cumulative_wrong += 1
                s.failures.append(f"seed {v.seed}: 历年累计 of {row.label!r} under {ckeys}")
    return s


def score_seeds(seeds: range) -> Score:
    total = Score()
    for seed in seeds:
        v = generate(seed)
        total.add(score(v, extract(grid_document(v)).values))
    return total


if __name__ == "__main__":
    lo, hi = (int(x) for x in sys.argv[1:3])
    result = score_seeds(range(lo, hi))
    print(
        f"rows {result.rows}: right {result.right} ({result.right / result.rows:.1%}), "
        f"other {result.other}, wrong {result.wrong}, missing {result.missing}, "
        f"cumulative wrong {result.cumulative_wrong}"
    )
    for line in result.failures[:40]:
        print(" ", line)
