"""Script pagers: the page controls of a list a script built, when no link says where a page is.

Some lists are built in the browser from data no recorded API answer pages (rows kept in the
page's own script, JSONP, an HTML fragment), and their pager is controls a script listens to
(``<a href="javascript:void(0)">2</a>``, ``<span onclick=…>下一页</span>``). The only way to
such a page is to render the list and click to it: the spider asks for the list rendered at
page N (``meta["list_page"]``, crawler/render.py clicks), for every page the pager shows, or
the next one when it only shows 下一页.

>>> from scrapy.http import HtmlResponse
>>> page = HtmlResponse("http://x.test/nb/", body='''<ul><li><a href="/a.html">某局年报</a></li></ul>
...   <div id="pager"><a href="javascript:void(0)">1</a><a href="javascript:void(0)">2</a>
...   <a href="javascript:void(0)">3</a><span onclick="go(2)">下一页</span></div>'''.encode(),
...   encoding="utf-8")
>>> script_pager(page)
ScriptPager(highest=3, has_next=True)
>>> script_pager(HtmlResponse("http://x.test/", body=b'<a href="/p2.html">2</a><b>1</b>', encoding="utf-8"))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scrapy.http import TextResponse

from crawler.links import unwrap_href
from vocabulary import normalize

MAX_LIST_PAGES = 100  # pages of one list rendered by clicking: far beyond any 年报 column
_NUMBER = re.compile(r"^\d{1,3}$")
_NEXT = re.compile(r"^(下一?页|后页|next|>>?|›|»)$", re.I)


@dataclass(frozen=True)
class ScriptPager:
    highest: int  # the highest page number the pager shows (0: none)
    has_next: bool  # it has a 下一页 control


def script_pager(response: TextResponse) -> ScriptPager | None:
    """The list's script pager, if the page has one: controls that are no links (no href, ``#``
    or ``javascript:``) reading a page number or 下一页, two numbers at least or a 下一页."""
    numbers: set[int] = set()
    has_next = False
    for control in response.xpath("//a | //button | //span[not(.//a)] | //li[not(.//a)]"):
        href = control.attrib.get("href")
        if href is not None and unwrap_href(href) and not href.strip().startswith("#"):
            continue  # a real link: the list's platform follows it
        text = normalize("".join(control.xpath(".//text()").getall()))
        if _NUMBER.match(text):
            numbers.add(int(text))
        elif _NEXT.match(text):
            has_next = True
    if len(numbers) < 2 and not has_next:
        return None
    return ScriptPager(max(numbers, default=0), has_next)


# Run in the rendered page (crawler/render.py): click the control of page ``n`` if the pager
# shows it ("done"), else 下一页 ("stepped": call again once the page settled), else "none".
CLICK_TO_PAGE = r"""
(n) => {
  const text = el => (el.textContent || "").replace(/\s+/g, "");
  const scripted = el => {
    const href = (el.getAttribute("href") || "").trim().toLowerCase();
    return !href || href.startsWith("#") || href.startsWith("javascript:");
  };
  const controls = [...document.querySelectorAll("a, button, span, li")]
    .filter(el => scripted(el) && !el.querySelector("a"));
  const number = controls.filter(el => text(el) === String(n)).pop();
  if (number) { number.click(); return "done"; }
  const next = controls.find(el => /^(下一?页|后页|next|>>?|›|»)$/i.test(text(el)));
  if (next) { next.click(); return "stepped"; }
  return "none";
}
"""
