"""Ruling lines of a PDF page, from its path objects (paths inside form XObjects followed).

A rule is a thin filled rectangle (no thicker than ``_THIN``) or a stroked horizontal or
vertical straight segment at least ``_MIN_RULE`` long; curves, white and fully transparent
paint are ignored. Positions are as displayed (:class:`parsers.formats._pdfpage.View`).
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from itertools import pairwise

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from parsers.formats._pdfpage import View
from parsers.grid import Rule

_THIN = 3.0  # pt: a path no thicker than this is a rule
_MIN_RULE = 3.0  # pt: shorter segments are dots/dashes, not rules


def _walk_objects(page: pdfium.PdfPage) -> Iterator[tuple[int, object, tuple | None]]:
    """(type, raw object, matrix of the enclosing form or None) for every page object."""
    get_type, get_obj = pdfium_c.FPDFPageObj_GetType, pdfium_c.FPDFPage_GetObject
    for i in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        obj = get_obj(page.raw, i)
        kind = get_type(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            yield from _walk_form(obj, None, 1)
        else:
            yield kind, obj, None


def _walk_form(form: object, outer: tuple | None, depth: int) -> Iterator[tuple]:
    """The objects inside a form XObject, with the form's matrix (nested forms composed)."""
    if depth > 8:
        return
    m = _compose(_obj_matrix(form), outer)
    for j in range(pdfium_c.FPDFFormObj_CountObjects(form)):
        obj = pdfium_c.FPDFFormObj_GetObject(form, j)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            yield from _walk_form(obj, m, depth + 1)
        else:
            yield kind, obj, m


def _obj_matrix(obj: object) -> tuple[float, ...]:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: tuple, outer: tuple | None) -> tuple:
    """Matrix applying ``inner`` then ``outer`` (PDF row-vector convention)."""
    if outer is None:
        return inner
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)  # fmt: skip


def _apply(m: tuple | None, x: float, y: float) -> tuple[float, float]:
    if m is None:
        return x, y
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def read_rules(page: pdfium.PdfPage, view: View) -> tuple[list[Rule], list[Rule], int]:
    """Horizontal and vertical rules (as displayed) and the number of images."""
    hs: list[Rule] = []
    vs: list[Rule] = []
    n_images = 0
    l_, b_, r_, t_ = (ctypes.c_float() for _ in range(4))
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    for kind, obj, form_m in _walk_objects(page):
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            n_images += 1
            continue
        if kind != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        if not pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke):
            continue
        stroked, filled = bool(stroke.value), fill.value != 0
        if not (stroked or filled) or _invisible(obj, stroked):
            continue
        if not pdfium_c.FPDFPageObj_GetBounds(obj, l_, b_, r_, t_):
            continue
        x0, top, x1, bottom = view.box(*_bbox_of(form_m, l_.value, b_.value, r_.value, t_.value))
        if min(x1 - x0, bottom - top) <= _THIN:
            _add_rule(hs, vs, x0, top, x1, bottom)  # the whole object is one rule
            continue
        n_segments = pdfium_c.FPDFPath_CountSegments(obj)
        if stroked:
            _add_stroked_segments(hs, vs, _path_points(obj, form_m, view, n_segments))
        elif n_segments > 5:  # several sub-paths: maybe a bundle of thin rectangles
            _add_thin_subpaths(hs, vs, _path_points(obj, form_m, view, n_segments))
    return hs, vs, n_images


def _invisible(obj: object, stroked: bool) -> bool:
    """White or fully transparent paint cannot be a visible rule."""
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    get = pdfium_c.FPDFPageObj_GetStrokeColor if stroked else pdfium_c.FPDFPageObj_GetFillColor
    if not get(obj, r, g, b, a):
        return False
    return a.value == 0 or min(r.value, g.value, b.value) >= 245


def _bbox_of(m: tuple | None, x0: float, y0: float, x1: float, y1: float) -> tuple:
    if m is None:
        return x0, y0, x1, y1
    pts = [_apply(m, x, y) for x in (x0, x1) for y in (y0, y1)]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def _add_rule(hs: list[Rule], vs: list[Rule], x0: float, top: float, x1: float, bottom: float) -> None:
    """Record a thin box as a horizontal or vertical rule through its middle."""
    w, h = x1 - x0, bottom - top
    if w >= h and w >= _MIN_RULE:
        hs.append(Rule((top + bottom) / 2, x0, x1))
    elif h > w and h >= _MIN_RULE:
        vs.append(Rule((x0 + x1) / 2, top, bottom))


def _path_points(obj: object, form_m: tuple | None, view: View, n: int) -> list[list[tuple]]:
    """Sub-paths as lists of (x, y, arrived-by-a-straight-line) points, as displayed."""
    m = _compose(_obj_matrix(obj), form_m)
    x, y = ctypes.c_float(), ctypes.c_float()
    subpaths: list[list[tuple]] = []
    for i in range(n):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj, i)
        if not pdfium_c.FPDFPathSegment_GetPoint(seg, x, y):
            continue
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
        px, py = view.point(*_apply(m, x.value, y.value))
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not subpaths:
            subpaths.append([(px, py, False)])
        else:
            subpaths[-1].append((px, py, kind == pdfium_c.FPDF_SEGMENT_LINETO))
        if pdfium_c.FPDFPathSegment_GetClose(seg) and subpaths[-1]:
            sx, sy, _ = subpaths[-1][0]
            subpaths[-1].append((sx, sy, True))
    return subpaths


def _add_stroked_segments(hs: list[Rule], vs: list[Rule], subpaths: list[list[tuple]]) -> None:
    for points in subpaths:
        for (ax, ay, _), (bx, by, is_line) in pairwise(points):
            if not is_line:
                continue  # curves are not rules
            if abs(ay - by) <= 0.5 and abs(ax - bx) >= _MIN_RULE:
                hs.append(Rule((ay + by) / 2, min(ax, bx), max(ax, bx)))
            elif abs(ax - bx) <= 0.5 and abs(ay - by) >= _MIN_RULE:
                vs.append(Rule((ax + bx) / 2, min(ay, by), max(ay, by)))


def _add_thin_subpaths(hs: list[Rule], vs: list[Rule], subpaths: list[list[tuple]]) -> None:
    for points in subpaths:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        if min(x1 - x0, y1 - y0) <= _THIN:
            _add_rule(hs, vs, x0, y0, x1, y1)
