"""The sites file: a bad field is one clear error naming the site and field."""

from __future__ import annotations

import pytest

from crawler.sites import DEFAULT_SITES_FILE, SiteConfigError, load_sites, parse_sites, select_sites


def test_bundled_sites_file_lists_the_demo_portals() -> None:
    sites = load_sites(DEFAULT_SITES_FILE)
    assert len(sites) >= 3
    assert all(s.start_urls[0].startswith("http://") for s in sites)
    assert {s.name for s in sites} >= {"weihai", "huancui", "lingwu"}


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("- name: ok\n  start_urls: [ftp://x.test/]", "site 'ok': field 'start_urls': not an http(s) URL"),
        ("- name: ok\n  start_urls: []", "site 'ok': field 'start_urls'"),
        ("- name: ok\n  start_urls: [http://x.test/]\n  colour: red", "site 'ok': field 'colour': unknown"),
        ("- name: ok\n  start_urls: [http://x.test/]\n  render: sometimes", "field 'render'"),
        (
            "- name: ok\n  start_urls: [http://x.test/]\n  robots: {obey: false}",
            "field 'robots': ignoring robots.txt needs a stated 'reason'",
        ),
        ("- start_urls: [http://x.test/]", "site #1: field 'name'"),
        (
            "- {name: a, start_urls: [http://x.test/]}\n- {name: a, start_urls: [http://y.test/]}",
            "site 'a': field 'name': duplicated",
        ),
        ("{}", "expected a non-empty list of sites"),
        ("- [unclosed", "not valid YAML"),
    ],
)
def test_bad_fields_are_named(yaml_text: str, message: str) -> None:
    with pytest.raises(SiteConfigError) as error:
        parse_sites(yaml_text, source="my-sites.yaml")
    assert str(error.value).startswith("my-sites.yaml: ")
    assert message in str(error.value)


def test_allowed_domains_default_to_the_start_hosts_and_selection_names_unknown_sites() -> None:
    sites = parse_sites("- {name: a, start_urls: ['http://www.a.test/', 'http://xxgk.a.test/x']}", source="s")
    assert sites[0].allowed_domains == ["www.a.test", "xxgk.a.test"]
    with pytest.raises(SiteConfigError, match="unknown site\\(s\\): nope"):
        select_sites(sites, ["nope"])


def test_every_error_of_the_file_is_reported_at_once() -> None:
    text = (
        "- {name: Bad Name, start_urls: [http://a.test/]}\n"
        "- {name: ok, start_urls: [http://b.test/]}\n"
        "- {name: two, start_urls: [ftp://c.test/], render: sometimes}\n"
        "- {name: ok, start_urls: [http://d.test/]}\n"
    )
    with pytest.raises(SiteConfigError) as error:
        parse_sites(text, source="mine.yaml")
    lines = str(error.value).splitlines()
    assert lines[0] == "mine.yaml: 4 errors:"
    assert [line.strip() for line in lines[1:]] == [
        "site 'Bad Name': field 'name': must be a slug of a-z, 0-9, '-' or '_'",
        "site 'two': field 'start_urls': not an http(s) URL: 'ftp://c.test/'",
        "site 'two': field 'render': must be one of auto, always, never",
        "site 'ok': field 'name': duplicated",
    ]
