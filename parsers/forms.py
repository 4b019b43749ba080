"""The printed labels of the 2019 and 2021 statutory forms, for reading scans of them.

The forms (tables 二, 三 and 四 of the 2019 template and of 国办公开办函〔2021〕30号) have a
fixed grid with fixed labels. OCR reads a label with a character or two wrong ("予以公开"
as "也以公开", "（一）" as "《一）"), which the metric readers — matching labels by their
key words — would miss, losing the whole row. :func:`snap_label` puts such a reading back
to the form's label it clearly is (by character similarity, with a clear margin over the
next best); a label that is not close to one of the form's is left as read. Only labels
are snapped: figures are never changed here.

>>> snap_label("（一）也以公开")
'（一）予以公开'
>>> snap_label("六本年新收政府信息公开申请数量")
'一、本年新收政府信息公开申请数量'
>>> snap_label("本年度工作总结") is None
True

A label too garbled to snap ("全闫巴以大开") can still be told by its place: table 三's rows
come in the form's fixed order, so a row between two rows that did snap, with exactly one
row of the form between them, is that row (:func:`labels_by_order`).
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import cache
from itertools import pairwise

from vocabulary import HAN_CHAR as _CJK

TABLE2_2021 = [
    "第二十条第（一）项", "信息内容", "本年制发件数", "本年废止件数", "现行有效件数", "规章",
    "行政规范性文件", "第二十条第（五）项", "本年处理决定数量", "行政许可", "第二十条第（六）项",
    "行政处罚", "行政强制", "第二十条第（八）项", "本年收费金额（单位：万元）", "行政事业性收费",
]  # fmt: skip
TABLE2_2019 = [
    "本年新制作数量", "本年新公开数量", "对外公开总数量", "规范性文件", "上一年项目数量", "本年增/减",
    "处理决定数量", "其他对外管理服务事项", "第二十条第（九）项", "采购项目数量", "采购总金额",
    "政府集中采购",
]  # fmt: skip
TABLE3 = [
    "申请人情况", "自然人", "法人或其他组织", "商业企业", "科研机构", "社会公益组织", "法律服务机构",
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
    "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "三、本年度办理结果",
    "（一）予以公开", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "（三）不予公开",
    "1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
    "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项",
    "（四）无法提供", "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确", "（五）不予处理", "1.信访举报投诉类申请", "2.重复申请",
    "3.要求提供公开出版物", "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息",
    "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "（七）总计", "四、结转下年度继续办理",
]  # fmt: skip
TABLE4 = [
    "行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结", "未经复议直接起诉", "复议后起诉",
]  # fmt: skip
# the national 政府信息公开情况统计表 of 2008–2018 (provinces add or drop rows; the rest stay)
LEGACY = [
    "统计指标", "单位", "统计数", "一、主动公开情况", "（一）主动公开政府信息数",
    "其中：主动公开规范性文件数", "制发规范性文件总数", "（二）通过不同渠道和方式公开政府信息的情况",
    "1.政府公报公开政府信息数",
    "2.政府网站公开政府信息数", "3.政务微博公开政府信息数", "4.政务微信公开政府信息数",
    "5.其他方式公开政府信息数", "二、回应解读情况", "（一）回应公众关注热点或重大舆情数",
    "（二）通过不同渠道和方式回应解读的情况", "1.参加或举办新闻发布会总次数",
    "其中：主要负责同志参加新闻发布会次数", "2.政府网站在线访谈次数",
    "其中：主要负责同志参加政府网站在线访谈次数", "3.政策解读稿件发布数", "4.微博微信回应事件数",
    "5.其他方式回应事件数", "三、依申请公开情况", "（一）收到申请数", "1.当面申请数", "2.传真申请数",
    "3.网络申请数", "4.信函申请数", "5.其他形式", "（二）申请办结数", "1.按时办结数", "2.延期办结数",
    "（三）申请答复数", "1.属于已主动公开范围数", "2.同意公开答复数", "3.同意部分公开答复数",
    "4.不同意公开答复数", "其中：涉及国家秘密", "涉及商业秘密", "涉及个人隐私",
    "危及国家安全、公共安全、经济安全和社会稳定", "不是《条例》所指政府信息", "法律法规规定的其他情形",
    "5.不属于本行政机关公开数", "6.申请信息不存在数", "7.告知作出更改补充数", "8.告知通过其他途径办理数",
    "四、行政复议数量", "（一）维持具体行政行为数", "（二）被依法纠错数", "（三）其他情形数",
    "五、行政诉讼数量",
    "（一）维持具体行政行为或者驳回原告诉讼请求数", "六、被举报投诉数量", "（一）维持具体行政行为数",
    "七、依申请公开信息收取的费用", "八、机构建设和保障经费情况", "（一）政府信息公开工作专门机构数",
    "（二）设置政府信息公开查阅点数", "（三）从事政府信息公开工作人员数", "1.专职人员数", "2.兼职人员数",
    "（四）政府信息公开专项经费", "九、政府信息公开会议和培训情况",
    "（一）召开政府信息公开工作会议或专题会议数", "（二）举办各类培训班数", "（三）接受培训人员数",
    "七、向图书馆、档案馆等查阅场所报送信息数", "（一）纸质文件数", "（二）电子文件数",
]  # fmt: skip
# table 三's rows in the form's order (2019 and 2021), and the group headings that span rows
TABLE3_ROWS = TABLE3[TABLE3.index("一、本年新收政府信息公开申请数量") :]
TABLE3_GROUPS = frozenset({"三、本年度办理结果", "（三）不予公开", "（四）无法提供", "（五）不予处理"})
LABELS = list(dict.fromkeys(TABLE2_2021 + TABLE2_2019 + TABLE3 + TABLE4 + LEGACY))

MIN_SIMILARITY = 0.6  # share of characters in common (difflib ratio)
MIN_MARGIN = 0.1  # over the next best label, so a reading between two labels stays as read

_BRACKETS = str.maketrans("〈《［【〔<>》〉］】〕", "（（（（（（））））））")


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text.translate(_BRACKETS))).replace("、", ".")


@cache
def _keys() -> list[tuple[str, str]]:
    return [(_key(label), label) for label in LABELS]


def snap_label(text: str) -> str | None:
    """The form's label that an OCR'd label cell clearly is, or None."""
    if len(_CJK.findall(text)) < 2:
        return None
    read = _key(text)
    scored = []
    for key, label in _keys():
        if not 0.6 <= len(read) / len(key) <= 1.6:
            continue
        scored.append((SequenceMatcher(None, read, key, autojunk=False).ratio(), label))
    if not scored:
        return None
    scored.sort(reverse=True)
    best, label = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if best >= MIN_SIMILARITY and best - runner_up >= MIN_MARGIN:
        return label
    return None


def labels_by_order(
    rows: list[str | None], order: list[str] = TABLE3_ROWS, groups: frozenset[str] = TABLE3_GROUPS
) -> list[str | None]:
    """Each row's own label (None where it is not known), with the unknown ones filled in
    where the form's order leaves no doubt: one unknown row between two known rows that
    have exactly one row of the form (not a group heading) between them. Anything else —
    rows out of the form's order, several unknown rows, a province's extra row (no form
    row left between its neighbours) — stays unknown.

    >>> labels_by_order(["二、上年结转政府信息公开申请数量", None, TABLE3_ROWS[4]])[1]
    '（一）予以公开'
    >>> labels_by_order(["（一）予以公开", None, "1.属于国家秘密"])[1]  # the heading (三) is no row
    '（二）部分公开（区分处理的，只计这一情形，不计其他情形）'
    >>> labels_by_order(["（一）予以公开", None, None, "1.属于国家秘密"])  # two unknown: no guess
    ['（一）予以公开', None, None, '1.属于国家秘密']
    >>> labels_by_order(["1.属于国家秘密", None, "2.其他法律行政法规禁止公开"])  # an extra row
    ['1.属于国家秘密', None, '2.其他法律行政法规禁止公开']
    """
    place = {label: i for i, label in enumerate(order)}
    known = [(r, place[label]) for r, label in enumerate(rows) if label in place]
    if any(b <= a for (_, a), (_, b) in pairwise(known)):
        return rows  # not in the form's order: not this form, or misread
    out = list(rows)
    for (r0, a), (r1, b) in pairwise(known):
        between = [order[k] for k in range(a + 1, b) if order[k] not in groups]
        if r1 - r0 == 2 and rows[r0 + 1] is None and len(between) == 1:
            out[r0 + 1] = between[0]
    return out
