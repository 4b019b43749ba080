"""What a disclosure annual report's title looks like, and what only looks like one.

Shared by the crawler (which links to follow) and the report parser (what a document is).

>>> is_report_title("威海市政务服务中心管理办公室 2017年政务公开工作年度报告")
True
>>> is_report_title("关于做好2017年政府信息公开工作年度报告编制发布工作的通知")
False
>>> is_report_title("2017年法治政府建设年度报告")
False
>>> year_in_title("灵武市政务服务中心2017年度政府信息公开工作报告")
2017
>>> is_column_label("政府信息<br>公开年报")
True
"""

from __future__ import annotations

import re

_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[\s\u3000\xa0]+")

# The report proper: 政府信息公开(工作)年度报告, 信息公开年报, 政务公开工作年度报告, …
_REPORT = re.compile(
    r"(政府)?(信息|政务)公开(工作)?(年度|年)?(报告|年报)"
    r"|(政府)?(信息|政务)公开(工作)?情况(的)?(年度)?报告"
)
# Titles that match the pattern above but are something else (PORTALS.md "Decoys").
_DECOY = re.compile(
    r"关于(做好|印发|开展|报送|编制|发布|组织)|通知|编制发布|工作要点|考核|评估|报表"
    r"|法治政府|决算|预算|统计公报|国民经济|网站(工作)?年度|年度工作报表|督查|整改"
)
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_COLUMN = re.compile(
    r"^(政府|部门)?(信息|政务)公开(工作)?(年度报告|年报)(专栏)?$|^年度报告$|^年报$|^信息公开年度报告$"
)


def normalize(text: str) -> str:
    """Text with tags and every kind of space removed (labels are often split by tags)."""
    return _SPACE.sub("", _TAGS.sub("", text or ""))


def is_report_title(title: str) -> bool:
    text = normalize(title)
    return bool(_REPORT.search(text)) and not _DECOY.search(text) and year_in_title(text) is not None


def is_decoy_title(title: str) -> bool:
    """Text of something that is not a disclosure report though it may look like one
    (法治政府建设年度报告, 政府网站年度工作报表, notices about compiling reports, 决算 …).

    >>> is_decoy_title("某市2019年政府网站年度工作报表"), is_decoy_title("政府信息公开年报")
    (True, False)
    """
    return bool(_DECOY.search(normalize(title)))


def year_in_title(title: str) -> int | None:
    match = _YEAR.search(normalize(title))
    return int(match.group(1)) if match else None


def is_column_label(text: str) -> bool:
    """The link text of a portal's 年报 column (not of one report)."""
    return bool(_COLUMN.match(normalize(text)))
