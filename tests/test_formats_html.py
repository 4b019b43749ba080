"""HTML format parser: seed bodies inside realistic pages, real Pingtan pages, charsets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parsers.document import Document, Table
from parsers.formats import html
from tests.helpers import flat_text, similarity

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "seeds"
REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld"
SEEDS = ["000", "001", "002", "003", "004"]

# Boilerplate strings a page adds around the body; none occurs in any seed.
MENU = ["网站首页", "政民互动", "网站地图", "无障碍浏览"]
FOOTER = ["版权所有", "网站标识码：3710000099", "鲁ICP备05000000号", "分享到", "不应出现的脚本"]


def _seed(seed: str) -> tuple[str, str, list]:
    body = (FIXTURES / f"{seed}.body.html").read_text("utf-8")
    expected = (FIXTURES / f"{seed}.expected.txt").read_text("utf-8")
    tables = json.loads((FIXTURES / f"{seed}.tables.json").read_text("utf-8"))
    return body, expected, tables


def _nav() -> str:
    items = "".join(f'<li><a href="/{n}/">{t}</a></li>' for n, t in enumerate(MENU))
    return f'<div class="header"><div class="logo">某某市人民政府</div><ul class="nav">{items}</ul></div>'


def _footer() -> str:
    return (
        '<div class="footer"><p>版权所有：某某市人民政府办公室　主办单位：某某市人民政府办公室</p>'
        "<p>网站标识码：3710000099　鲁ICP备05000000号</p></div>"
    )


def page_trs(body: str, charset: str = "utf-8") -> str:
    """A TRS-style article page: body in .TRS_Editor, metadata lines outside it."""
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}">'
        "<title>某某报告_政府信息公开年报_某某市人民政府</title>"
        '<script>var s="不应出现的脚本";</script></head><body>'
        f"{_nav()}<div class='main'><div class='article_title'>某某报告</div>"
        "<div class='article_extend'><span>来源：某某市</span><span>时间：2018-01-31</span></div>"
        f'<div class="article_content"><div class=TRS_Editor>{body}</div></div>'
        '<div class="share">分享到：微信 微博</div></div>'
        f"{_footer()}</body></html>"
    )


def page_plain(body: str) -> str:
    """A page with no known CMS container: the body must be found by text density."""
    sidebar = "".join(f'<li><a href="/c{n}/">栏目{n}导航</a></li>' for n in range(12))
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        '<style>.x{color:red}</style><script>document.write("不应出现的脚本")</script></head>'
        f"<body>{_nav()}<div class='wrap'><div class='col-l'><ul>{sidebar}</ul></div>"
        f"<div class='col-r'><div class='article'>{body}</div>"
        '<div class="share">分享到：微信 微博</div></div></div>'
        f"{_footer()}</body></html>"
    )


def page_print_wrapper(body: str) -> str:
    """The body inside a block whose name looks like a widget (``print_area``)."""
    return page_plain(f'<div id="print_area" class="header-text">{body}</div>')


def page_layout_tables(body: str) -> str:
    """An old-style page laid out with nested tables around the body."""
    menu = "".join(f'<a href="/{n}/">{t}</a><br>' for n, t in enumerate(MENU))
    return (
        '<html><head><meta charset="utf-8"></head><body>'
        f'<table width="100%"><tr><td>{menu}</td></tr><tr><td>'
        f'<table width="960"><tr><td width="200">{menu}</td><td>{body}</td></tr></table>'
        f"</td></tr><tr><td>{_footer()}</td></tr></table></body></html>"
    )


def _assert_matches_seed(doc: Document, expected: str, tables: list) -> None:
    assert similarity(expected, flat_text(doc)) >= 0.99
    assert [t.grid() for t in doc.tables] == tables
    for word in MENU + FOOTER:
        assert word not in doc.text


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("wrap", [page_trs, page_plain, page_print_wrapper, page_layout_tables])
def test_seed_body_inside_page(seed: str, wrap) -> None:
    body, expected, tables = _seed(seed)
    data = wrap(body).encode("utf-8")
    assert html.sniff(data)
    _assert_matches_seed(html.parse(data), expected, tables)


@pytest.mark.parametrize("seed", SEEDS)
def test_bare_body_fragment(seed: str) -> None:
    body, expected, tables = _seed(seed)
    doc = html.parse(body.encode("utf-8"))
    assert html.sniff(body.encode("utf-8"))
    assert similarity(expected, flat_text(doc)) >= 0.99
    assert [t.grid() for t in doc.tables] == tables
    assert doc.format == "html" and doc.method == "markup"


def test_blank_cells_stay_blank() -> None:
    body, _, _ = _seed("002")
    table = html.parse(body.encode("utf-8")).tables[0]
    row = next(r for r in table.grid() if r[0].startswith("1. 政府公报"))
    assert row == ["1. 政府公报公开政府信息数", "条", ""]


def test_gbk_page_with_lying_utf8_charset() -> None:
    body, expected, tables = _seed("001")
    data = page_trs(body, charset="utf-8").encode("gbk")  # says UTF-8, is GBK
    doc = html.parse(data)
    assert similarity(expected, flat_text(doc)) >= 0.99
    assert [t.grid() for t in doc.tables] == tables
    assert "申请人情况" in doc.text


def test_utf8_page_with_lying_gb2312_charset() -> None:
    body, expected, _ = _seed("003")
    doc = html.parse(page_trs(body, charset="gb2312").encode("utf-8"))
    assert similarity(expected, flat_text(doc)) >= 0.99


def test_gbk_page_declared_gbk_and_gb18030_only_characters() -> None:
    # "䶮" is outside GBK; a page labelled gb2312 is read as GB18030, the superset.
    text = "<html><head><meta charset='gb2312'></head><body><p>政府信息公开䶮</p></body></html>"
    doc = html.parse(text.encode("gb18030"))
    assert doc.blocks[0].text == "政府信息公开䶮"


def test_bom_wins_over_meta() -> None:
    data = b"\xef\xbb\xbf<meta charset='gbk'><p>\xe5\xb9\xb4\xe6\x8a\xa5</p>"  # UTF-8 "年报"
    assert html.parse(data).blocks[0].text == "年报"
    assert html.parse("<p>年报</p>".encode("utf-16")).blocks[0].text == "年报"


def test_title_and_meta_from_page() -> None:
    body, _, _ = _seed("003")
    doc = html.parse(
        page_plain(body).replace("<head>", "<head><title>年报标题_栏目_站点</title>").encode("utf-8")
    )
    assert doc.title == "年报标题"
    doc = html.parse(body.encode("utf-8"))  # a fragment: first heading
    assert doc.title == "市政务服务中心管理办公室2017年政府信息公开工作年度报告"


def test_metadata_table_goes_to_meta_not_content() -> None:
    meta_table = (
        "<table class='xxgk'><tr><td>索 引 号：</td><td>11370000/2018-00123</td>"
        "<td>发布机构：</td><td>某某市政务服务中心</td></tr>"
        "<tr><td>名　　称：</td><td>2017年政府信息公开工作年度报告</td><td>文号：</td><td></td></tr>"
        "<tr><td>主题分类：</td><td>综合政务</td><td>发布日期：</td><td>2018-01-31</td></tr></table>"
    )
    body, _, tables = _seed("002")
    doc = html.parse(page_plain(meta_table + body).encode("utf-8"))
    assert doc.meta["索引号"] == "11370000/2018-00123"
    assert doc.meta["发布机构"] == "某某市政务服务中心"
    assert doc.meta["名称"] == "2017年政府信息公开工作年度报告"
    assert doc.meta["主题分类"] == "综合政务"
    assert doc.meta["发布日期"] == "2018-01-31"
    assert "文号" not in doc.meta  # empty value
    assert [t.grid() for t in doc.tables] == tables  # the metadata table is not a data table
    assert "11370000/2018-00123" not in doc.text


def test_sniff_rejects_other_formats() -> None:
    assert not html.sniff(b"%PDF-1.7\n")
    assert not html.sniff(b"PK\x03\x04" + b"\x00" * 30)
    assert not html.sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    assert not html.sniff(b'<?xml version="1.0"?><datastore><recordset/></datastore>')
    assert not html.sniff("年报正文，不是网页".encode())
    assert html.sniff(b"<!-- saved from url=(0040)http://x.gov.cn/ -->\n<html><body></body>")
    assert html.sniff(b"  \r\n<table><tr><td>1</td></tr></table>")


def test_unparseable_is_parse_error() -> None:
    with pytest.raises(html.ParseError):
        html.parse(b"   ")


# --------------------------------------------------------------------------- real pages


def _realworld(path: str) -> bytes:
    file = REALWORLD / path
    if not file.exists():
        pytest.skip("…/shared/realworld not present (only in the dev workspace)")
    return file.read_bytes()


def test_pingtan_2024_three_tables() -> None:
    data = _realworld("reports/fujian_pingtan_2024_gov_annual_report_t20250310_97791.html")
    doc = html.parse(data)
    assert doc.title == "平潭综合实验区2024年度政府信息公开工作年度报告"
    assert doc.meta["PubDate"] == "2025-03-10 15:35"
    assert doc.meta["ContentSource"] == "平潭综合实验区管委会办公室"
    assert doc.meta["ColumnName"] == "政府信息公开年报"
    assert len(doc.tables) == 3
    t2, t3, t4 = (t.grid() for t in doc.tables)
    # values as printed in the page source
    assert t2[0] == ["第二十条第（一）项"] * 4
    assert t2[3] == ["行政规范性文件", "62", "33", "440"]
    assert (len(t3), len(t3[0])) == (28, 10)
    assert t3[3] == ["一、本年新收政府信息公开申请数量"] * 3 + ["217", "1", "0", "0", "0", "0", "218"]
    assert t3[5][:2] == ["三、本年度办理结果", "（一）予以公开"]
    assert t3[24][0] == "三、本年度办理结果"
    assert t4[1][5] == "未经复议直接起诉" and t4[1][10] == "复议后起诉"
    assert t4[3] == ["2", "1", "3", "1", "7", "0", "0", "0", "0", "0", "13", "2", "4", "0", "19"]
    # the page chrome stays out: share buttons, long-reader mode, link lists
    for word in ["长者模式", "分享到微信", "扫一扫在手机上查看当前页面", "友情链接", "当前位置"]:
        assert word not in doc.text
    assert doc.blocks[0].text.startswith("本报告根据《中华人民共和国政府信息公开条例》")
    assert doc.blocks[-1].text == "2024年，无收取信息处理费情况。"


def test_pingtan_2018_legacy_table() -> None:
    data = _realworld("reports/fujian_pingtan_2018_gov_annual_report_t20190110_80529.html")
    doc = html.parse(data)
    assert doc.title == "平潭综合实验区2018年度政府信息公开工作年度报告"
    assert len(doc.tables) == 1
    grid = doc.tables[0].grid()
    assert grid[0] == ["指标名称", "计量单位", "2018年度", "历年累计"]
    assert grid[1] == ["主动公开文件数", "条", "2069", "12106"]
    assert len(grid) == 16
    assert any(b.text == "六、政府信息公开情况统计表" for b in doc.blocks)


def test_trs_metadata_block_in_paragraphs() -> None:
    data = _realworld("portals_cms/trs_handan_xxgk_article.saved.jsp.html")
    doc = html.parse(data)
    assert doc.meta["索引号"] == "000014348/2020-35147"
    assert doc.meta["发布机构"] == "邯郸市教育局"
    assert doc.meta["文号"] == "无"
    assert doc.meta["主题分类"] == "教育"
    assert doc.meta["发布日期"] == "2020年08月02日"
    assert "成文日期" not in doc.meta  # commented out in the page
    assert doc.meta["SiteName"] == "邯郸市人民政府"
    # the article body was cut from this saved page: what is left is menus, which stay out
    for word in ["走进邯郸", "邯郸成语", "我要留言", "Created by IntelliJ"]:
        assert word not in doc.text


def test_ucap_article_body() -> None:
    data = _realworld("portals_cms/ucap_yichun_article_2023_tjgb.saved.html")
    doc = html.parse(data)
    assert doc.title == "宜春市2022年国民经济和社会发展统计公报"
    assert doc.blocks[0].text == "宜春市2022年国民经济和社会发展统计公报"
    assert any(b.text.startswith("初步核算，全年实现地区生产总值（GDP）3473.12亿元") for b in doc.blocks)


def test_layout_table_is_not_a_data_table() -> None:
    doc = html.parse(page_layout_tables("<p>正文第一段。</p><p>正文第二段。</p>").encode())
    assert doc.tables == []
    assert [b.text for b in doc.blocks] == ["正文第一段。", "正文第二段。"]
    assert not any(isinstance(x, Table) for x in doc.content)


def test_table_edge_cases() -> None:
    page = (
        "<table><caption>2017 年度政府信息公开工作情况统计表</caption>"
        "<thead><tr><th>统计指标</th><th>单位</th><th>统计数</th></tr></thead>"
        "<tbody><tr><td rowspan='9'>一、主动公开情况</td><td>条</td><td>&nbsp;</td></tr>"
        "<tr><td>件</td><td>\u200b</td></tr><tr><td>次</td><td>0</td></tr></tbody></table>"
    )
    doc = html.parse(page.encode("utf-8"))
    assert doc.blocks[0].text == "2017 年度政府信息公开工作情况统计表"
    assert doc.tables[0].grid() == [
        ["统计指标", "单位", "统计数"],
        ["一、主动公开情况", "条", ""],  # &nbsp; only: blank, not zero
        ["一、主动公开情况", "件", ""],  # zero-width space only: blank
        ["一、主动公开情况", "次", "0"],  # rowspan 9 clamped to the rows that exist
    ]


def test_metadata_as_list_and_definition_list() -> None:
    body, _, _ = _seed("003")
    block = (
        "<ul class='xxgk-info'><li><span>索引号：</span><span>11371500/2018-0042</span></li>"
        "<li>发布机构：聊城市政务服务中心　成文日期：2018-01-19</li></ul>"
        "<dl><dt>文 号：</dt><dd>聊政服发〔2018〕3号</dd><dt>主题分类：</dt><dd>政务公开</dd></dl>"
    )
    doc = html.parse(page_plain(block + body).encode("utf-8"))
    assert doc.meta["索引号"] == "11371500/2018-0042"
    assert doc.meta["发布机构"] == "聊城市政务服务中心"
    assert doc.meta["成文日期"] == "2018-01-19"
    assert doc.meta["文号"] == "聊政服发〔2018〕3号"
    assert doc.meta["主题分类"] == "政务公开"
