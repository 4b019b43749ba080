"""The statutory report templates since 2019, newest first: one module each.

Adding a template era is one module ``parsers/metrics/template<YEAR>.py`` listed in
:data:`TEMPLATES` (its new keys go into :mod:`parsers.metrics.dictionary`, the one home of
keys). A template module defines::

    ERA: str                    # "2021": what reports of this template are recorded as
    FIRST_YEAR: int             # the first report year it covers
    SIGNS: re.Pattern           # labels only this template prints in its tables
    HEADER_LABELS: tuple[str]   # whole header labels that name it in flattened text
    def extract(tables, out)    # its tables into a Collector

:mod:`parsers.metrics.era` tells a document's template by ``SIGNS`` (else by year), and
:func:`parsers.metrics.extract` reads its tables with its ``extract``.

>>> [t.ERA for t in TEMPLATES], template_for_year(2020).ERA, template_for_year(None).ERA
(['2021', '2019'], '2019', '2021')
>>> template_for_year(2016).ERA  # template tables in an older report: the oldest template
'2019'
"""

from __future__ import annotations

from types import ModuleType

from parsers.metrics import template2019, template2021

TEMPLATES: tuple[ModuleType, ...] = (template2021, template2019)


def template_for_year(year: int | None) -> ModuleType:
    """The template a report of ``year`` follows (the newest for an unknown year)."""
    for template in TEMPLATES:
        if year is None or year >= template.FIRST_YEAR:
            return template
    return TEMPLATES[-1]
