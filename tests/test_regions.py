"""Region codes and levels: GB/T 2260 codes from the maintained data package, by year.

Expected codes are the published GB/T 2260 codes of the places (the demo portals' 索引号 start
with the same codes: 371000-…, 371002-…, 640181-…, 370881-…, 371500-…).
"""

from __future__ import annotations

import pytest

from parsers.regions import agency_key, expand_agency, lookup, region_of, resolve


@pytest.mark.parametrize(
    ("text", "code", "level", "full_name"),
    [
        ("山东省威海市", "371000", "city", "山东省威海市"),
        ("山东省威海市环翠区", "371002", "county", "山东省威海市环翠区"),
        ("宁夏回族自治区银川市灵武市", "640181", "county", "宁夏回族自治区银川市灵武市"),
        ("山东省济宁市曲阜市", "370881", "county", "山东省济宁市曲阜市"),
        ("山东省聊城市", "371500", "city", "山东省聊城市"),
        ("江苏省", "320000", "province", "江苏省"),
        ("北京市", "110000", "province", "北京市"),
        ("北京市海淀区", "110108", "county", "北京市海淀区"),
        ("湖北省仙桃市", "429004", "county", "湖北省仙桃市"),  # 省直辖县级市: no prefecture
        ("广东省东莞市", "441900", "city", "广东省东莞市"),  # 不设区的地级市
    ],
)
def test_site_region_texts_resolve_to_their_division(
    text: str, code: str, level: str, full_name: str
) -> None:
    region = resolve(text, year=2020)
    assert region is not None
    assert (region.code, region.level, region.full_name) == (code, level, full_name)


def test_codes_are_those_in_force_in_the_report_year() -> None:
    # 洪泽县 (320829) became 洪泽区 (320813) in 2016.
    assert resolve("江苏省淮安市洪泽县", year=2015).code == "320829"
    assert resolve("江苏省淮安市洪泽区", year=2017).code == "320813"
    assert region_of("洪泽县人民政府", None, year=2014).code == "320829"
    assert region_of("洪泽区人民政府", None, year=2023).code == "320813"


def test_a_name_several_divisions_share_is_settled_by_the_site_region() -> None:
    assert region_of("朝阳区人民政府", None, year=2020) is None
    assert region_of("朝阳区人民政府", "北京市", year=2020).code == "110105"
    assert region_of("朝阳区人民政府", "吉林省长春市", year=2020).code == "220104"


def test_agencies_get_their_own_region_not_just_the_sites() -> None:
    department = region_of("威海市政务服务中心管理办公室", "山东省威海市", year=2017)
    assert (department.code, department.level) == ("371000", "city")
    district = region_of("威海市环翠区行政审批服务局", "山东省威海市", year=2019)
    assert (district.code, district.level) == ("371002", "county")
    tax = region_of("国家税务总局威海市环翠区税务局", "山东省威海市", year=2020)
    assert tax.code == "371002"
    city = region_of("淮安市人民政府", None, year=2024)
    assert (city.code, city.level) == ("320800", "city")


def test_townships_carry_their_countys_code_and_level_township() -> None:
    alone = region_of("尼山镇人民政府", "山东省济宁市曲阜市", year=2020)
    assert (alone.code, alone.level, alone.name) == ("370881", "township", "尼山镇")
    named = region_of("曲阜市鲁城街道办事处", None, year=2020)
    assert (named.code, named.level) == ("370881", "township")
    assert named.full_name == "山东省济宁市曲阜市鲁城街道"
    # 城乡建设局 holds 乡 but is no township
    assert region_of("曲阜市城乡建设局", None, year=2020).level == "county"


def test_relative_agency_names_take_the_sites_region() -> None:
    qufu = resolve("山东省济宁市曲阜市")
    assert expand_agency("市政务服务中心管理办公室", qufu) == "曲阜市政务服务中心管理办公室"
    assert region_of("市政务服务中心管理办公室", "山东省济宁市曲阜市", year=2017).code == "370881"
    huancui = resolve("山东省威海市环翠区")
    assert expand_agency("区行政审批服务局", huancui) == "环翠区行政审批服务局"
    assert expand_agency("市政府办公室", huancui) == "威海市政府办公室"  # 市 = the city above
    # A bare organ is the site region's own; 市场 is a word, not 市 + 场…
    assert expand_agency("财政局", qufu) == "曲阜市财政局"
    assert expand_agency("市场监督管理局", qufu) == "曲阜市市场监督管理局"
    # Already whole, or national: unchanged.
    assert expand_agency("威海市环翠区行政审批服务局", huancui) == "威海市环翠区行政审批服务局"
    assert expand_agency("国家税务总局曲阜市税务局", qufu) == "国家税务总局曲阜市税务局"


def test_places_outside_gb2260_map_to_the_division_that_holds_them() -> None:
    pingtan = resolve("福建省平潭综合实验区", year=2024)
    assert (pingtan.code, pingtan.level) == ("350128", "county")  # 平潭县, 福州市
    assert region_of("平潭综合实验区管委会", None, year=2018).code == "350128"


def test_one_agency_key_across_spellings_and_years() -> None:
    r23 = region_of("洪泽区人民政府", None, year=2023)
    r24 = region_of("淮安市洪泽区人民政府", None, year=2024)
    assert agency_key("洪泽区人民政府", r23) == agency_key("淮安市洪泽区人民政府", r24)
    city = region_of("淮安市人民政府", None, year=2024)
    assert agency_key("淮安市人民政府", city) != agency_key("洪泽区人民政府", r23)
    office = region_of("洪泽区人民政府办公室", None, year=2023)
    assert agency_key("洪泽区人民政府办公室", office) != agency_key("洪泽区人民政府", r23)


def test_lookup_by_code() -> None:
    assert lookup("371002").full_name == "山东省威海市环翠区"
    assert lookup("999999") is None
