"""CMS adapters, one module each; the first whose ``detect`` accepts a page handles it.

Adding a platform: write ``crawler/platforms/<name>.py`` with a :class:`Platform` subclass
and list it here, before :class:`Generic` (which accepts every page).
"""

from __future__ import annotations

from scrapy.http import TextResponse

from crawler.platforms.aspnet import AspNet
from crawler.platforms.base import Platform
from crawler.platforms.fujian_trs import FujianTRS
from crawler.platforms.generic import Generic
from crawler.platforms.gkmlpt import Gkmlpt
from crawler.platforms.hanweb import Hanweb
from crawler.platforms.hanweb_unit import HanwebUnit
from crawler.platforms.jsonlist import JsonList
from crawler.platforms.trs import TRS
from crawler.platforms.ucap import Ucap
from vocabulary import Meta

# Most specific first: the Fujian list API and gkmlpt pages also carry TRS / generic markers,
# and every ASP.NET page would pass for a generic one.
# JsonList takes only the API answers it asked for (its detect accepts nothing).
PLATFORMS: list[type[Platform]] = [
    JsonList,
    HanwebUnit,
    Hanweb,
    FujianTRS,
    Gkmlpt,
    Ucap,
    AspNet,
    TRS,
    Generic,
]


def platform_for(response: TextResponse) -> Platform:
    marked = response.meta.get(Meta.PLATFORM)  # an API answer goes back to the platform that asked
    for cls in PLATFORMS:
        if cls.name == marked:
            return cls()
    for cls in PLATFORMS:
        if cls.detect(response):
            return cls()
    return Generic()


__all__ = ["PLATFORMS", "Generic", "Platform", "platform_for"]
