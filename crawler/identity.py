"""Who is crawling: the operator's contact, sent in the User-Agent of every live crawl and
recorded with the run and in exported WARCs, as archival crawlers are expected to do.

The contact (an http(s) URL or an e-mail address) comes from, first found: ``--contact``,
``-s NIANBAO_CONTACT=…``, the environment variable ``NIANBAO_CONTACT``, or ``contact:`` in
the config file (``$NIANBAO_CONFIG``, else ``~/.config/nianbao/config.yaml``). Replaying a
cassette needs none, and neither does a crawl of hosts that cannot be anyone else's: loopback
addresses and the reserved names (``localhost``, ``*.test``, ``*.example``, ``*.invalid``,
RFC 2606/6761), as the tests' and benchmarks' mock portals are. An operator's own
``-s USER_AGENT=…`` is sent and recorded as it is; it must carry a contact itself when no
contact is given.

>>> user_agent("ops@example.org").split("; ")[-1]
'operator: ops@example.org)'
>>> valid_contact("mailto:ops@example.org"), valid_contact("https://example.org/about")
('ops@example.org', 'https://example.org/about')
>>> valid_contact("call me")
Traceback (most recent call last):
...
crawler.identity.ContactError: contact 'call me' is neither an http(s) URL nor an e-mail address
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from nianbao import __version__

PROJECT_URL = "https://github.com/nianbao/nianbao"
ENV_CONTACT, ENV_CONFIG = "NIANBAO_CONTACT", "NIANBAO_CONFIG"
DEFAULT_CONFIG = Path("~/.config/nianbao/config.yaml")
_EMAIL = re.compile(r"^[^@\s<>()]+@[^@\s<>()]+\.[^@\s<>()]+$")
_CONTACT_IN_UA = re.compile(r"https?://[^\s<>();]+|[^@\s<>();+]+@[^@\s<>();]+\.\w+")

MISSING = (
    "a live crawl needs an operator contact (URL or e-mail) for its User-Agent: give --contact, "
    f"set {ENV_CONTACT}, or put 'contact: …' in {DEFAULT_CONFIG} (replay needs none)"
)


class ContactError(ValueError):
    """A contact that is not a URL or e-mail address, or an unreadable config file."""


def user_agent(contact: str | None) -> str:
    """nianbao's User-Agent, naming the operator when there is one."""
    operator = f"; operator: {contact}" if contact else ""
    purpose = "archive of government information-disclosure annual reports"
    return f"nianbao/{__version__} ({purpose}; +{PROJECT_URL}{operator})"


def valid_contact(value: str) -> str:
    contact = value.strip().removeprefix("mailto:")
    parts = urlsplit(contact)
    if (parts.scheme in ("http", "https") and parts.hostname) or _EMAIL.match(contact):
        return contact
    raise ContactError(f"contact {value!r} is neither an http(s) URL nor an e-mail address")


def _config_contact(env: Mapping[str, str]) -> str | None:
    path = Path(env[ENV_CONFIG]) if env.get(ENV_CONFIG) else DEFAULT_CONFIG.expanduser()
    if not path.is_file():
        if env.get(ENV_CONFIG):
            raise ContactError(f"{path}: config file not found ({ENV_CONFIG})")
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ContactError(f"{path}: cannot read the config file: {exc}") from exc
    contact = data.get("contact") if isinstance(data, dict) else None
    return str(contact) if contact else None


def find_contact(
    cli: str | None, settings: Mapping[str, str], env: Mapping[str, str] | None = None
) -> str | None:
    """The operator's contact from the first source that gives one, checked."""
    env = os.environ if env is None else env
    for value in (cli, settings.get(ENV_CONTACT), env.get(ENV_CONTACT)):
        if value:
            return valid_contact(value)
    found = _config_contact(env)
    return valid_contact(found) if found else None


_PRIVATE_SUFFIXES = (".test", ".example", ".invalid", ".localhost")


def is_private_host(host: str | None) -> bool:
    """Loopback or a reserved name: nobody to identify oneself to.

    >>> [is_private_host(h) for h in ("127.0.3.4", "www.weihai.nianbao.test", "www.gov.cn")]
    [True, True, False]
    """
    if not host:
        return False
    host = host.lower().rstrip(".")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost" or host.endswith(_PRIVATE_SUFFIXES)


def needs_contact(start_urls: list[str]) -> bool:
    """A crawl starting at these URLs reaches someone else's server."""
    return not all(is_private_host(urlsplit(url).hostname) for url in start_urls)


def contact_from_environment() -> str | None:
    """The contact of the environment or the config file, for Scrapy's settings module: ``None``
    when there is none or it is unusable (:func:`require_operator` then says why)."""
    try:
        return find_contact(None, {})
    except ContactError:
        return None


def require_operator(settings: Mapping[str, Any], start_urls: list[str]) -> None:
    """Refuse a live crawl of others' servers that names no operator: the check ``nianbao crawl``
    makes on its arguments, made again where every crawl starts, so a bare ``scrapy crawl``
    refuses too. ``settings`` are the crawl's (``NIANBAO_CONTACT``, ``USER_AGENT``,
    ``NIANBAO_REPLAY``).

    >>> require_operator({"USER_AGENT": user_agent(None)}, ["http://127.0.0.1:8000/"])
    >>> require_operator({"USER_AGENT": user_agent("ops@example.org")}, ["https://www.gov.cn/"])
    >>> require_operator({"USER_AGENT": "MyLab (+https://lab.example/bot)"}, ["https://www.gov.cn/"])
    >>> require_operator({"USER_AGENT": user_agent(None)}, ["https://www.gov.cn/"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    crawler.identity.ContactError: a live crawl needs an operator contact ...
    """
    if settings.get("NIANBAO_REPLAY") or not needs_contact(start_urls):
        return
    agent = str(settings.get("USER_AGENT") or "").replace(PROJECT_URL, "")
    if settings.get(ENV_CONTACT) or contact_in(agent):
        return
    find_contact(None, {})  # an unusable environment or config file names its own reason
    raise ContactError(MISSING)


def contact_in(agent: str) -> str | None:
    """The URL or e-mail address an operator's own User-Agent carries, if any.

    >>> contact_in("MyLab crawler (+https://lab.example/crawl)"), contact_in("curl/8")
    ('https://lab.example/crawl', None)
    """
    m = _CONTACT_IN_UA.search(agent)
    return m.group(0) if m else None
