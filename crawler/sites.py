"""The sites file: which portals to crawl.

A YAML list of sites; each needs a ``name`` (slug) and ``start_urls`` (normally the portal's
home page). Everything is checked before anything is crawled, and a bad field is one
:class:`SiteConfigError` that names the site and the field.

>>> sites = parse_sites('''
... - name: weihai
...   start_urls: [http://www.weihai.nianbao.test/]
...   agency: 威海市人民政府
... ''', source="demo.yaml")
>>> sites[0].allowed_domains
['www.weihai.nianbao.test']
>>> parse_sites("- name: Bad Name\\n  start_urls: [http://x.test/]", source="s.yaml")
Traceback (most recent call last):
...
crawler.sites.SiteConfigError: s.yaml: site 'Bad Name': field 'name': must be a slug of a-z, 0-9, '-' or '_'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

DEFAULT_SITES_FILE = Path(__file__).resolve().parent.parent / "sites.yaml"

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_KNOWN_FIELDS = {
    "name",
    "start_urls",
    "agency",
    "region",
    "allowed_domains",
    "render",
    "robots",
    "hints",
}


class SiteConfigError(ValueError):
    """A sites file that cannot be used; the message names the file, site and field."""


@dataclass(frozen=True)
class Site:
    name: str
    start_urls: list[str]
    agency: str | None = None
    region: str | None = None
    allowed_domains: list[str] = field(default_factory=list)
    render: str = "auto"  # auto | always | never: when to render listings in a browser
    robots: dict[str, str] = field(default_factory=dict)  # {"obey": false, "reason": "…"}
    hints: dict[str, Any] = field(default_factory=dict)  # free-form per-site hints


def load_sites(path: str | Path | None = None) -> list[Site]:
    path = Path(path) if path else DEFAULT_SITES_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SiteConfigError(f"{path}: cannot read the sites file: {exc.strerror}") from exc
    return parse_sites(text, source=str(path))


def parse_sites(text: str, *, source: str) -> list[Site]:
    """Every site of the file, or one :class:`SiteConfigError` listing every bad field of
    every site (one per line), so a file is fixed in one go."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SiteConfigError(f"{source}: not valid YAML: {exc}") from exc
    if isinstance(data, dict) and "sites" in data:
        data = data["sites"]
    if not isinstance(data, list) or not data:
        raise SiteConfigError(f"{source}: expected a non-empty list of sites")
    sites: list[Site] = []
    errors: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(data):
        site, site_errors = _parse_site(entry, index)
        errors += site_errors
        if site is None:
            continue
        if site.name in seen:
            errors.append(f"site {site.name!r}: field 'name': duplicated")
        seen.add(site.name)
        sites.append(site)
    if len(errors) == 1:
        raise SiteConfigError(f"{source}: {errors[0]}")
    if errors:
        raise SiteConfigError(f"{source}: {len(errors)} errors:\n" + "\n".join(f"  {e}" for e in errors))
    return sites


def select_sites(sites: list[Site], names: list[str]) -> list[Site]:
    if not names:
        return sites
    by_name = {s.name: s for s in sites}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SiteConfigError(f"unknown site(s): {', '.join(unknown)} (known: {', '.join(by_name)})")
    return [by_name[n] for n in names]


def _parse_site(entry: Any, index: int) -> tuple[Site | None, list[str]]:
    """The site, or None and why not: every bad field, not only the first."""
    label = f"#{index + 1}"
    if not isinstance(entry, dict):
        return None, [f"site {label}: expected a mapping of fields"]
    if isinstance(entry.get("name"), str):
        label = repr(entry["name"])
    errors: list[str] = []

    def fail(field_name: str, reason: str) -> None:
        errors.append(f"site {label}: field {field_name!r}: {reason}")

    for unknown in sorted(set(entry) - _KNOWN_FIELDS):
        fail(unknown, f"unknown field (known: {', '.join(sorted(_KNOWN_FIELDS))})")
    name = entry.get("name")
    if not isinstance(name, str) or not _SLUG.match(name):
        fail("name", "must be a slug of a-z, 0-9, '-' or '_'")
    start_urls = entry.get("start_urls")
    if isinstance(start_urls, str):
        start_urls = [start_urls]
    if not isinstance(start_urls, list) or not start_urls:
        fail("start_urls", "must be a non-empty list of http(s) URLs")
        start_urls = []
    for url in start_urls:
        parts = urlsplit(url) if isinstance(url, str) else None
        if not parts or parts.scheme not in ("http", "https") or not parts.hostname:
            fail("start_urls", f"not an http(s) URL: {url!r}")
    hosts = {urlsplit(u).hostname for u in start_urls if isinstance(u, str)} - {None}
    domains = entry.get("allowed_domains") or sorted(hosts)
    if not isinstance(domains, list) or not all(isinstance(d, str) and d for d in domains):
        fail("allowed_domains", "must be a list of host names")
    for text_field in ("agency", "region"):
        if entry.get(text_field) is not None and not isinstance(entry[text_field], str):
            fail(text_field, "must be text")
    render = entry.get("render", "auto")
    if render not in ("auto", "always", "never"):
        fail("render", "must be one of auto, always, never")
    robots = entry.get("robots") or {}
    if not isinstance(robots, dict):
        fail("robots", "must be a mapping like {obey: false, reason: '…'}")
    elif robots.get("obey") is False and not str(robots.get("reason") or "").strip():
        fail("robots", "ignoring robots.txt needs a stated 'reason'")
    hints = entry.get("hints") or {}
    if not isinstance(hints, dict):
        fail("hints", "must be a mapping")
    if errors:
        return None, errors
    site = Site(
        name=name,
        start_urls=list(start_urls),
        agency=entry.get("agency"),
        region=entry.get("region"),
        allowed_domains=list(domains),
        render=render,
        robots=dict(robots),
        hints=dict(hints),
    )
    return site, []
