"""Cell text → value/unit: blanks stay blank, placeholders stay None, numbers in all shapes."""

from __future__ import annotations

import pytest

from parsers.metrics.values import chinese_to_int, parse_value


@pytest.mark.parametrize("text", ["", " ", "\u3000", "\u3000\u3000", "\t\n", None])
def test_blank_is_none_not_zero(text: str | None) -> None:
    parsed = parse_value(text)
    assert parsed.value is None and parsed.kind == "blank"


@pytest.mark.parametrize("text", ["—", "——", "-", "/", "无", "－", "／", "不适用"])
def test_placeholders_are_none_but_not_blank(text: str) -> None:
    parsed = parse_value(text)
    assert parsed.value is None and parsed.kind == "placeholder"


def test_zero_is_zero() -> None:
    assert parse_value("0").value == 0
    assert parse_value(" 0").kind == "number"
    assert parse_value("０").value == 0


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("165.51万元", 165.51, "万元"),
        ("3,119", 3119, None),
        ("3，119", 3119, None),
        ("３１１９", 3119, None),
        ("１６５．５１万元", 165.51, "万元"),
        ("96171.6", 96171.6, None),
        ("5 件", 5, "件"),
        ("15人次", 15, "人次"),
        ("（12）", 12, None),
        ("100%", 100, "%"),
    ],
)
def test_numbers_and_units(text: str, value: float, unit: str | None) -> None:
    parsed = parse_value(text)
    assert (parsed.value, parsed.unit, parsed.approximate) == (value, unit, False)


def test_integers_stay_integers() -> None:
    assert isinstance(parse_value("3119").value, int)
    assert isinstance(parse_value("9.5").value, float)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("约200", 200, None),
        ("4500余条", 4500, "条"),
        ("2800多条", 2800, "条"),
        ("近12000条", 12000, "条"),
        ("100多万元", 100, "万元"),
    ],
)
def test_qualifiers_keep_the_number_and_flag_it(text: str, value: int, unit: str | None) -> None:
    parsed = parse_value(text)
    assert (parsed.value, parsed.unit, parsed.approximate) == (value, unit, True)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一百二十", 120),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("一百零五", 105),
        ("两千", 2000),
        ("一万二千", 12000),
        ("三〇五", 305),
        ("零", 0),
    ],
)
def test_chinese_numerals(text: str, value: int) -> None:
    assert chinese_to_int(text) == value
    assert parse_value(text).value == value


def test_chinese_numeral_with_unit() -> None:
    parsed = parse_value("五件")
    assert (parsed.value, parsed.unit) == (5, "件")


def test_change_column_signs() -> None:
    assert parse_value("减少3").value == -3
    assert parse_value("增加12").value == 12
    assert parse_value("-2").value == -2


@pytest.mark.parametrize("text", ["见附件", "1/5", "3-5", "详见说明"])
def test_text_that_is_not_one_number_is_unparsed(text: str) -> None:
    parsed = parse_value(text)
    assert parsed.value is None and parsed.kind == "unparsed"
