"""ASP.NET WebForms portals: lists paged by postback.

A GridView (or AspNetPager) pager is a row of ``javascript:__doPostBack('ctl00$Main$gvList',
'Page$2')`` links; a browser answers a click by POSTing the page's form back — every
``<input>`` of it, ``__VIEWSTATE`` / ``__EVENTVALIDATION`` included — with ``__EVENTTARGET``
and ``__EVENTARGUMENT`` set to the call's two arguments. The server rebuilds the list from the
view state, so the POST must carry the state of the page it was made from.

The adapter does what the browser does, one page at a time: from page *n* it posts the
``Page$n+1`` (or ``Page$Next``) postback of that page's own form, and remembers *n+1* in the
request's meta. The chain ends on the page without a later postback. (AspNetPager's
``__doPostBack('AspNetPager1','3')`` works the same way.)

>>> from scrapy.http import HtmlResponse
>>> page = HtmlResponse("http://x.test/nb/List.aspx", encoding="utf-8", body=b'''
... <form method="post" action="./List.aspx" id="form1">
... <input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="dDwxNTM7Pg==">
... <input type="hidden" name="__EVENTTARGET" value=""><input type="hidden" name="__EVENTARGUMENT">
... <table><tr><td><span>1</span> <a href="javascript:__doPostBack('gv','Page$2')">2</a></td></tr>
... </table></form>''')
>>> [(r.method, r.url, r.meta[Meta.ASPNET_PAGE]) for r in AspNet().next_pages(page)]
[('POST', 'http://x.test/nb/List.aspx', 2)]
>>> sorted(AspNet().next_pages(page)[0].body.decode().split("&"))
['__EVENTARGUMENT=Page%242', '__EVENTTARGET=gv', '__VIEWSTATE=dDwxNTM7Pg%3D%3D']
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from parsel import Selector
from scrapy import FormRequest, Request
from scrapy.http import TextResponse

from crawler.links import Link
from crawler.platforms.base import Platform
from crawler.platforms.generic import Generic
from crawler.platforms.shared import meta_of
from vocabulary import Meta

_POSTBACK = re.compile(r"""__doPostBack\(\s*['"]([^'"]*)['"]\s*,\s*['"]([^'"]*)['"]\s*\)""")
_PAGE_ARGUMENT = re.compile(r"^(?:Page\$)?(\d+|Next)$", re.I)
_BUTTONS = {"submit", "image", "button", "reset", "file"}


class AspNet(Platform):
    name = "aspnet"

    @classmethod
    def detect(cls, response: TextResponse) -> bool:
        text = response.text
        return "__VIEWSTATE" in text and "__doPostBack" in text

    def next_pages(self, response: TextResponse) -> list[Link | Request]:
        pages: list[Link | Request] = list(Generic().next_pages(response))  # plain ?page=N links too
        current = int(meta_of(response).get("aspnet_page") or 1)
        postback = next_postback(response.text, current)
        form = _form_of(response, postback[0]) if postback else None
        if postback is None or form is None:
            return pages
        target, argument = postback
        fields = form_fields(form)
        fields.update({"__EVENTTARGET": target, "__EVENTARGUMENT": argument})
        action = urljoin(response.urljoin(""), form.attrib.get("action") or response.url)
        meta = {Meta.PLATFORM: self.name, Meta.ASPNET_PAGE: current + 1}
        return [FormRequest(action, formdata=fields, meta=meta), *pages]


def next_postback(text: str, current: int) -> tuple[str, str] | None:
    """The pager postback that leads from page ``current`` to the next one.

    >>> pager = "__doPostBack('gv','Page$1') __doPostBack('gv','Page$3') __doPostBack('x','')"
    >>> next_postback(pager, 2), next_postback(pager, 3)
    (('gv', 'Page$3'), None)
    >>> next_postback("__doPostBack('AspNetPager1','2')", 1)
    ('AspNetPager1', '2')
    >>> next_postback("__doPostBack('gv','Page$Next')", 7)
    ('gv', 'Page$Next')
    """
    following = None
    for target, argument in _POSTBACK.findall(text.replace("&#39;", "'").replace("&#x27;", "'")):
        match = _PAGE_ARGUMENT.match(argument)
        if match is None:
            continue
        number = match.group(1)
        if number.isdigit() and int(number) == current + 1:
            return target, argument
        if number.lower() == "next":
            following = following or (target, argument)
    return following


def _form_of(response: TextResponse, target: str) -> Selector | None:
    """The form holding the pager (WebForms pages have one ``<form runat=server>``)."""
    forms = response.xpath("//form")
    for form in forms:
        if form.xpath(".//input[@name='__VIEWSTATE']") or target in form.get():
            return form
    return forms[0] if forms else None


def form_fields(form: Selector) -> dict[str, str]:
    """What a browser submits of a form when a script (not a button) sends it: every named,
    enabled control — text and hidden inputs, checked boxes, selected options, textareas —
    and no buttons.

    >>> from parsel import Selector
    >>> form = Selector(text='''<form><input type="hidden" name="__VIEWSTATE" value="vs">
    ...   <input name="q"><input type="submit" name="go" value="搜索">
    ...   <input type="checkbox" name="all" checked><input type="checkbox" name="old">
    ...   <select name="year"><option value="2019">2019</option>
    ...     <option value="2020" selected>2020</option></select></form>''').css("form")[0]
    >>> form_fields(form)
    {'__VIEWSTATE': 'vs', 'q': '', 'all': 'on', 'year': '2020'}
    """
    fields: dict[str, str] = {}
    for control in form.xpath(".//input|.//select|.//textarea"):
        name = control.attrib.get("name")
        if not name or "disabled" in control.attrib:
            continue
        tag = control.root.tag.lower()
        kind = control.attrib.get("type", "text").lower()
        if tag == "select":
            options = control.xpath(".//option")
            chosen = control.xpath(".//option[@selected]") or options[:1]
            if chosen:
                option = chosen[0]
                fields[name] = option.attrib.get("value", "".join(option.xpath(".//text()").getall()))
        elif tag == "textarea":
            fields[name] = "".join(control.xpath(".//text()").getall())
        elif kind in _BUTTONS:
            continue
        elif kind in ("checkbox", "radio"):
            if "checked" in control.attrib:
                fields[name] = control.attrib.get("value", "on")
        else:
            fields[name] = control.attrib.get("value", "")
    return fields
