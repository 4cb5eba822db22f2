"""The browser suite's fixtures: Debian's Chromium (installed here when missing and we may),
the bundled sample ingested through the real pipeline and served on loopback, and a
fresh browser context per test at phone or desktop width."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tagwire.demo.run import BANNER
from tagwire.settings import Settings
from tagwire.store import open_store
from tagwire.web import create_app

from ..conftest import Tagwire
from ..servers import serving

CHROMIUM = Path("/usr/bin/chromium")
# Playwright's own browser download cannot run here; Debian's build can, once it is told to
# make no connection of its own (the closed network refuses them, and it waits).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_SECONDS = 900
PAGE_SIZE = 4  # small enough that #Azawad's page of the sample has an "Older news" link
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class SamplePages:
    """Where the served sample's pages are: the base URL and a path for each kind."""

    base_url: str
    article: str
    story: str

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; installed with apt when missing and this is root, else a skip
    (a failure on CI, which must run the browser suite)."""
    if not CHROMIUM.exists():
        problem = install_chromium()
        if problem:
            if os.environ.get("CI"):
                pytest.fail(problem)
            pytest.skip(problem)
    return CHROMIUM


def install_chromium() -> str | None:
    """``apt-get install chromium`` (after ``apt-get update`` when the package lists are
    stale or absent, as on a fresh machine); what went wrong, or None."""
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return f"{CHROMIUM} is missing: install Debian's chromium package (apt-get, as root)"
    install = [apt, "install", "-y", "-q", "chromium"]
    if run_apt(install) is None:
        return None
    return run_apt([apt, "update", "-q"]) or run_apt(install)


def run_apt(command: list[str]) -> str | None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=INSTALL_SECONDS
        )
    except subprocess.TimeoutExpired:
        return f"{' '.join(command)} took over {INSTALL_SECONDS}s"
    if done.returncode != 0:
        return f"{' '.join(command)} failed: {done.stderr.strip()[-500:]}"
    return None


@pytest.fixture(scope="package")
def browser(chromium: Path) -> Iterator[Browser]:
    """Open for this package's tests only: while it is, Playwright's sync API keeps an event
    loop running on the main thread, where the rest of the suite calls asyncio.run."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamplePages]:
    """``tagwire demo`` as a reader meets it: the sample ingested into a SQLite file of its
    own, then the site (with the demo banner) served by uvicorn on a free loopback port."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    # On a thread of its own: Playwright's event loop may be running on this one.
    with ThreadPoolExecutor(1) as thread:
        result = thread.submit(Tagwire(url), "--db", url, "demo", "--no-serve").result()
    assert result.exit_code == 0, result.output
    settings = Settings.from_env({}, database_url=url, page_size=PAGE_SIZE)
    app = create_app(settings, open_store(url), banner=BANNER)
    with serving(app) as base_url:
        yield sample_pages(base_url)


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    yield from open_page(browser, DESKTOP)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    yield from open_page(browser, PHONE)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``TAGWIRE_SCREENSHOTS`` (docs/screenshots regenerates the
    committed ones), else a temporary directory."""
    wanted = os.environ.get("TAGWIRE_SCREENSHOTS")
    if not wanted:
        return tmp_path_factory.mktemp("screenshots")
    path = Path(wanted)
    path.mkdir(parents=True, exist_ok=True)
    return path


def open_page(browser: Browser, viewport: dict[str, int]) -> Iterator[Page]:
    """A page in a context of its own: no cookie (language, login) leaks between tests."""
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def sample_pages(base_url: str) -> SamplePages:
    """The newest #Azawad article that belongs to a story told by several outlets."""
    items = httpx.get(base_url + "/tags/azawad.json").raise_for_status().json()["items"]
    told = next(item for item in items if item["_tagwire"]["story"]["also_covered_by"])
    return SamplePages(
        base_url=base_url,
        article=f"/articles/{told['id']}",
        story=f"/stories/{told['_tagwire']['story']['id']}",
    )
