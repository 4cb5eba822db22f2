"""Each kind of page at phone and desktop width: a screenshot of each (docs/screenshots
when ``TAGWIRE_SCREENSHOTS`` names that directory), and axe-core's accessibility rules
with no serious or critical violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .conftest import SamplePages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = [
    "home",
    "tag",
    "article",
    "search",
    "story",
    "outlet",
]
SERIOUS = {"serious", "critical"}


def path_of(name: str, sample: SamplePages) -> str:
    return {
        "home": "/",
        "tag": "/tags/azawad",
        "article": sample.article,
        "search": "/search?q=Nouakchott",
        "story": sample.story,
        "outlet": "/outlets/dune-line-dispatch",
    }[name]


def open_sample_page(page: Page, sample: SamplePages, name: str) -> None:
    response = page.goto(sample.url(path_of(name, sample)))
    assert response is not None and response.ok, name
    expect(page.get_by_role("main")).to_be_visible()


@pytest.mark.parametrize("name", PAGES)
def test_screenshots_at_phone_and_desktop_width(
    name: str, phone: Page, desktop: Page, sample: SamplePages, screenshots: Path
):
    for width, page in (("phone", phone), ("desktop", desktop)):
        open_sample_page(page, sample, name)
        page.screenshot(path=screenshots / f"{name}-{width}.png")


def test_screenshot_in_dark_mode(desktop: Page, sample: SamplePages, screenshots: Path):
    desktop.emulate_media(color_scheme="dark")
    open_sample_page(desktop, sample, "tag")
    desktop.screenshot(path=screenshots / "tag-desktop-dark.png")


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violation(name: str, desktop: Page, sample: SamplePages):
    open_sample_page(desktop, sample, name)
    for scheme in ("light", "dark"):  # each has its own colours, so its own contrast
        desktop.emulate_media(color_scheme=scheme)
        violations = Axe().run(desktop).response["violations"]
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in violations
            if v["impact"] in SERIOUS
        ]
        assert not serious, f"{scheme}:\n" + "\n".join(serious)
