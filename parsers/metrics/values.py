"""Cell text → number and unit, keeping blank apart from zero.

Statistics tables are typed by hand, so a "number" arrives in many shapes: full-width digits,
thousands separators (``3,119`` / ``3，119``), a unit glued on (``165.51万元``), a qualifier
(``约``, ``近``, ``余``, ``多``), a Chinese numeral (``一百二十``), or a placeholder that means
"nothing to report" (``——``, ``/``, ``无``). :func:`parse_value` turns the text of one cell
into a :class:`ParsedValue`; the caller keeps the raw text next to it.

A blank cell is *not* a zero: blank → ``value=None, kind="blank"``; ``"0"`` → ``0``.

>>> parse_value("165.51万元")
ParsedValue(value=165.51, unit='万元', approximate=False, kind='number')
>>> parse_value("３，１１９").value
3119
>>> parse_value("\u3000").kind, parse_value("——").kind
('blank', 'placeholder')
>>> parse_value("4500余条")
ParsedValue(value=4500, unit='条', approximate=True, kind='number')
>>> parse_value("一百二十").value
120
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Number = int | float
ValueKind = Literal["number", "blank", "placeholder", "unparsed"]

# Cells that mean "nothing to report"; they stay None but are told apart from a blank.
_PLACEHOLDER_WORDS = "— —— ——— - -- --- – / // \\ 无 空 暂无 … …… × x X n/a N/A NA null 不适用 未统计"
PLACEHOLDERS = frozenset(_PLACEHOLDER_WORDS.split(" "))

# Digit value → its characters (plain and financial forms).
_CN_DIGITS = {
    ch: d
    for d, chars in enumerate(
        ["零〇○", "一壹", "二贰两", "三叁", "四肆", "五伍", "六陆", "七柒", "八捌", "九玖"]
    )
    for ch in chars
}
_CN_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_CN_CHARS = "".join([*_CN_DIGITS, *_CN_SMALL_UNITS, *_CN_BIG_UNITS])

_PREFIX_APPROX = ("约", "近", "逾", "超过", "大约", "将近", "接近", "共约")
_SUFFIX_APPROX = ("余", "多", "左右", "以上", "上下")
_ARABIC = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_CHINESE = re.compile(rf"[{_CN_CHARS}]+")
_BRACKETS = re.compile(r"^[(\[（【](.*)[)\]）】]$")


@dataclass(frozen=True)
class ParsedValue:
    value: Number | None
    unit: str | None = None
    approximate: bool = False
    kind: ValueKind = "number"


def normalize_text(text: str) -> str:
    """NFKC (full-width digits/commas → ASCII, U+3000 → space) and trimmed.

    >>> normalize_text("\u3000１２，３４５ ")
    '12,345'
    """
    return unicodedata.normalize("NFKC", text or "").strip()


def chinese_to_int(text: str) -> int | None:
    """A Chinese numeral as an int, or None when ``text`` is not one.

    >>> [chinese_to_int(s) for s in ["十", "十五", "一百二十", "两千零三", "一万二千", "三〇五"]]
    [10, 15, 120, 2003, 12000, 305]
    >>> chinese_to_int("其他") is None
    True
    """
    if not text or any(ch not in _CN_CHARS for ch in text):
        return None
    if all(ch in _CN_DIGITS for ch in text):  # digit-by-digit form: 三〇五
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_SMALL_UNITS:
            section += (1 if digit is None else digit) * _CN_SMALL_UNITS[ch]
            digit = None
        elif _CN_BIG_UNITS[ch] >= 100_000_000:  # 亿 multiplies everything before it
            total = (total + section + (digit or 0)) * _CN_BIG_UNITS[ch]
            section, digit = 0, None
        else:  # 万 multiplies only the section since the last 亿
            total += (section + (digit or 0)) * _CN_BIG_UNITS[ch]
            section, digit = 0, None
    return total + section + (digit or 0)


def _strip_approx(text: str) -> tuple[str, bool]:
    approx = False
    for p in _PREFIX_APPROX:
        if text.startswith(p):
            text, approx = text[len(p) :].lstrip(), True
            break
    return text, approx


def _strip_change_word(text: str) -> tuple[str, int]:
    """ "增加5" / "减少3" (the 2019 本年增/减 column) → ("5", 1) / ("3", -1)."""
    for words, sign in ((("增加", "新增", "增"), 1), (("减少", "减"), -1)):
        for w in words:
            if text.startswith(w) and len(text) > len(w):
                return text[len(w) :], sign
    return text, 1


def _as_number(digits: str) -> Number:
    digits = digits.replace(",", "")
    return float(digits) if "." in digits else int(digits)


def _clean_unit(rest: str) -> tuple[str | None, bool]:
    """The text after the number: qualifiers stripped, brackets removed; (unit, approximate)."""
    rest = rest.strip()
    approx = False
    for s in _SUFFIX_APPROX:
        if rest.startswith(s):
            rest, approx = rest[len(s) :].strip(), True
            break
    for s in _SUFFIX_APPROX:  # "100万元以上"
        if rest.endswith(s) and len(rest) > len(s):
            rest, approx = rest[: -len(s)].strip(), True
            break
    m = _BRACKETS.match(rest)
    if m:
        rest = m.group(1).strip()
    return (rest or None), approx


def parse_value(text: str | None) -> ParsedValue:
    """Parse one cell's text. See the module docstring for the shapes understood.

    >>> parse_value("0")
    ParsedValue(value=0, unit=None, approximate=False, kind='number')
    >>> parse_value("") == parse_value("  ") == ParsedValue(None, None, False, "blank")
    True
    >>> parse_value("无").kind
    'placeholder'
    >>> parse_value("9.5").value, parse_value("100%").unit, parse_value("约200件").approximate
    (9.5, '%', True)
    >>> parse_value("2800多条").value, parse_value("（5）").value, parse_value("-3").value
    (2800, 5, -3)
    >>> parse_value("减少3").value, parse_value("增加12项")
    (-3, ParsedValue(value=12, unit='项', approximate=False, kind='number'))
    >>> parse_value("见附件").kind
    'unparsed'
    """
    s = normalize_text(text or "")
    s = re.sub(r"\s+", "", s)
    if not s:
        return ParsedValue(None, None, False, "blank")
    if s in PLACEHOLDERS or re.fullmatch(r"[-—–_/\\.。·…]+", s):
        return ParsedValue(None, None, False, "placeholder")
    m = _BRACKETS.match(s)
    if m and m.group(1):
        s = m.group(1)
    s, sign = _strip_change_word(s)
    s, approx = _strip_approx(s)
    m = _ARABIC.match(s)
    if m:
        value: Number = _as_number(m.group(0)) * sign
        rest = s[m.end() :]
        if re.search(r"\d", rest):  # "1/5", "3-5": a ratio or range, not one number
            return ParsedValue(None, None, False, "unparsed")
        # "1.2万" / "3万元": a Chinese multiplier glued on stays part of the unit (万元 etc.)
        unit, approx2 = _clean_unit(rest)
        return ParsedValue(value, unit, approx or approx2, "number")
    m = _CHINESE.match(s)
    if m:
        n = chinese_to_int(m.group(0))
        if n is not None:
            unit, approx2 = _clean_unit(s[m.end() :])
            return ParsedValue(n * sign, unit, approx or approx2, "number")
    return ParsedValue(None, None, False, "unparsed")
