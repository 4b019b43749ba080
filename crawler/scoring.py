"""How likely a same-site link leads to annual reports: the score that orders discovery.

The spider explores a portal best first (Scrapy request priority = score) within a page
budget. A link is scored from what a person would read: its text and ``title`` attribute,
its URL slug, the text around it (the menu or box it sits in), the page's own breadcrumb or
``<meta name="ColumnName">``, and what the page is (a 年报 listing's links to years and
departments are its sub-columns). The named paths of real portals (PORTALS.md) are the
strongest hints; anything else same-site is still worth a look, last, when nothing better
turned up.

>>> score_link("政府信息<br>公开年报", "http://x.test/a/b/")
100
>>> score_link("abc", "http://x.test/zwgk/zfxxgknb/index.html")
90
>>> score_link("政务公开", "http://x.test/zwgk/") >= STRONG
True
>>> score_link("2022年", "http://x.test/nb/2022/", parent_role="listing") >= STRONG
True
>>> score_link("市教育局", "http://x.test/nb/jyj/", parent_role="listing", parent_url="http://x.test/nb/")
70
>>> score_link("市教育局", "http://x.test/col/col88/", parent_role="listing") >= MEDIUM
True
>>> score_link("市教育局", "http://x.test/col/col88/") < MEDIUM
True
>>> score_link("新闻", "http://x.test/zfxxgknb/202001/t20200101_1.html", parent_role="listing") < MEDIUM
True
>>> score_link("2019年法治政府建设年度报告", "http://x.test/a.html")
-100
>>> score_link("English", "http://x.test/en/")
-100
>>> 0 < score_link("专题专栏", "http://x.test/ztzl/") < STRONG
True
>>> score_link("专题专栏", "http://x.test/ztzl/", around="政府信息公开") > score_link("专题专栏", "http://x.test/ztzl/")
True
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from vocabulary import is_column_label, is_decoy_title, normalize

COLUMN = 100  # a 年报 column by its label
LISTING = 70  # from here up: a column or sub-column of one (a listing)
STRONG = 50  # explored at once
MEDIUM = 40  # a listing's department-like links: explored last, even when reports were found
NEVER = -100  # not explored at all
WEAK = 5  # any other same-site page: explored only while nothing has been found

# A column slug as the page's own directory (not an article somewhere under it).
COLUMN_SLUG = re.compile(
    r"/(zfxxgknb|xxgknb|zfxxgkndbg|xxgk-xxgknb|ndbg|gknb|zwgknb)(/(index(_\d+)?\.s?html?)?|\.s?html?)?$", re.I
)
_SECTION = re.compile(
    r"(政府|政务)?信息公开$|^政务公开$|^信息公开(目录|平台|专栏)$|^政府信息公开(目录|平台|专栏)?$|^公开目录$"
)
_NB_WORDS = re.compile(r"年报|年度报告|工作报告")
_YEAR = re.compile(r"^(19|20)\d{2}年?度?(年报|年度报告)?$")
_UNIT = re.compile(
    r"^.{1,16}(部门|乡镇|街道|区县|县区|市直|局|委|委员会|办|办公室|政府|镇|乡|中心|院|所|队)(年报|年度报告)?$"
)
_SLUG_HINT = re.compile(r"xxgk|zwgk|zfxxgk|gkml|openness|public|/gk/|/nb/|zfgk", re.I)
_JUNK_TEXT = re.compile(
    r"^(首页|返回首页|网站首页|english|登录|注册|无障碍|繁体|简体|繁體|网站地图|联系我们|关于我们|邮箱|rss|"
    r"上一篇|下一篇|打印|关闭|返回顶部|收藏|分享|微信|微博|手机版|长者模式|搜索)$",
    re.I,
)
_JUNK_URL = re.compile(r"/(en|english|login|search|member|user)(/|$|\.)|[?&](keyword|q|searchword)=", re.I)
_ARTICLE = re.compile(
    r"/t(19|20)\d{6}_\d+\.s?html?$|/art_\d+_\d+\.s?html?$|/art_[0-9a-f]{32}\.html$|/post_\d+\.html$"
    r"|/[0-9a-f]{32}\.s?html$",
    re.I,
)


def score_link(
    text: str,
    url: str,
    *,
    title: str = "",
    around: str = "",
    page_label: str = "",
    parent_role: str = "home",
    parent_url: str = "",
) -> int:
    """The score of a link to ``url`` (higher: explore sooner; below :data:`NEVER` + 1: never).

    ``around``: the text of the block the link sits in; ``page_label``: the page's breadcrumb
    or ColumnName; ``parent_role``: ``listing`` when the page (``parent_url``)
    is a 年报 listing.
    """
    label = normalize(title) if len(normalize(title)) > len(normalize(text)) else normalize(text)
    path = urlsplit(url).path
    if is_decoy_title(label) or _JUNK_TEXT.match(label) or _JUNK_URL.search(url):
        return NEVER
    if is_column_label(label):
        return COLUMN
    if COLUMN_SLUG.search(path):
        return 90
    if _NB_WORDS.search(label):
        return 80
    if parent_role == "listing" and _YEAR.match(label):
        return LISTING  # a year sub-column of the 年报 column
    if parent_role == "listing" and _UNIT.match(label):
        # a department sub-column: sure when it sits under the column's directory
        return LISTING if _under(url, parent_url) else MEDIUM + 5
    if _SECTION.search(label):
        score, cap = 60, LISTING - 5  # a 信息公开 section
    elif "公开" in label:
        score, cap = 40, MEDIUM - 1  # a part of one (指南, 制度, 目录 …): worth a look, later
    else:
        score, cap = WEAK, MEDIUM - 5
    if _SLUG_HINT.search(path):
        score += 15
    context = normalize(around) + "|" + normalize(page_label)
    if "公开" in context:
        score += 10
    if _NB_WORDS.search(context):
        score += 15
    score = min(score, cap)  # only a column's label, slug or sub-column makes a listing
    if _ARTICLE.search(path):
        score -= 30  # a news article: rarely a way to the column
    return score


def _under(url: str, parent_url: str) -> bool:
    """Whether ``url`` lies under the directory of ``parent_url`` (and is not that page).

    >>> _under("http://x.test/nb/jyj/", "http://x.test/nb/index.html"), _under("http://x.test/a/", "")
    (True, False)
    """
    if not parent_url:
        return False
    here = urlsplit(parent_url).path.rsplit("/", 1)[0] + "/"
    there = urlsplit(url).path
    return there.startswith(here) and there != urlsplit(parent_url).path
