"""A reader in Chromium on the demo site: the #Azawad page, older news, a tag link, the
search box, dark mode, the keyboard, and the pieces that are still being built (filters,
the French interface, outlet pages)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import SamplePages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEWEST = "Nouakchott Talks on Azawad End First Day With Agenda Deal but No Access Agreement"
NEWEST_FRENCH = "Azawad : ouverture des pourparlers humanitaires à Nouakchott"

# Sums the page's layout shifts that no input caused (the Cumulative Layout Shift score),
# once the browser has delivered the buffered entries.
LAYOUT_SHIFT = """() => new Promise((resolve) => {
  let total = 0;
  const add = (entries) => {
    for (const e of entries) if (!e.hadRecentInput) total += e.value;
  };
  const observer = new PerformanceObserver((list) => add(list.getEntries()));
  observer.observe({ type: "layout-shift", buffered: true });
  requestAnimationFrame(() => requestAnimationFrame(() => {
    add(observer.takeRecords());
    observer.disconnect();
    resolve(total);
  }));
})"""


def headlines(page: Page) -> list[str]:
    return page.locator("article.entry h2").all_inner_texts()


def test_tag_page_shows_the_latest_news_with_azawad(desktop: Page, sample: SamplePages):
    desktop.goto(sample.url("/tags/azawad"))
    expect(desktop).to_have_title("Latest news with #Azawad")
    expect(desktop.get_by_role("heading", level=1)).to_have_text("Latest news with #Azawad")
    entries = desktop.get_by_role("article")
    expect(entries).to_have_count(4)
    for entry in entries.all():
        expect(entry.locator(".outlet")).not_to_be_empty()
        expect(entry.locator("time").first).to_have_attribute("datetime", re.compile(r"^20"))
        expect(entry.get_by_role("heading", level=2).get_by_role("link")).not_to_be_empty()
        expect(entry.locator(".text").first).to_contain_text("Azawad")
    expect(entries.locator(".category")).not_to_have_count(0)
    # The newest English report and the French report of the same talks, with their outlets.
    newest = entries.filter(has=desktop.get_by_role("link", name=NEWEST))
    expect(newest.locator(".outlet")).to_have_text("Dune Line Dispatch")
    french = entries.filter(has=desktop.get_by_role("link", name=NEWEST_FRENCH))
    expect(french).to_have_attribute("lang", "fr")
    expect(french.locator(".category")).to_contain_text("Politics")
    expect(french.locator(".date")).to_contain_text("hours ago")


def test_older_news_continues_where_the_page_stopped(desktop: Page, sample: SamplePages):
    desktop.goto(sample.url("/tags/azawad"))
    first = headlines(desktop)
    desktop.get_by_role("link", name="Older news").click()
    expect(desktop).to_have_url(re.compile(r"/tags/azawad\?cursor="))
    expect(desktop.get_by_role("heading", level=1)).to_have_text("Latest news with #Azawad")
    older = headlines(desktop)
    assert older and not set(older) & set(first)


def test_a_tag_link_opens_that_tag_page(desktop: Page, sample: SamplePages):
    desktop.goto(sample.url(sample.article))
    link = desktop.get_by_role("article").get_by_role("link", name="#Mali", exact=True)
    link.click()
    expect(desktop).to_have_url(re.compile(r"/tags/mali$"))
    expect(desktop.get_by_role("heading", level=1)).to_have_text("Latest news with #Mali")
    expect(desktop.get_by_role("article").first).to_be_visible()


def test_search_box_finds_and_highlights(desktop: Page, sample: SamplePages):
    desktop.goto(sample.url("/tags/azawad"))
    box = desktop.get_by_role("searchbox", name="Search articles")
    box.fill("Nouakchott")
    box.press("Enter")
    expect(desktop).to_have_url(re.compile(r"/search\?q=Nouakchott$"))
    expect(desktop.get_by_role("heading", level=1)).to_have_text("Search: “Nouakchott”")
    expect(box).to_have_value("Nouakchott")
    expect(desktop.get_by_label("Find a tag")).to_have_value("")
    expect(desktop.get_by_role("article").first).to_be_visible()
    marks = desktop.locator("article.entry .text mark")
    expect(marks.first).to_have_text(re.compile("Nouakchott", re.IGNORECASE))


def test_dark_mode_follows_the_system(desktop: Page, sample: SamplePages):
    desktop.goto(sample.url("/tags/azawad"))
    light = background(desktop)
    desktop.emulate_media(color_scheme="dark")
    dark = background(desktop)
    assert light != dark
    assert luminance(dark) < 0.2 < 0.8 < luminance(light)


def background(page: Page) -> str:
    return page.evaluate("() => getComputedStyle(document.body).backgroundColor")


def luminance(css_rgb: str) -> float:
    red, green, blue = (int(n) for n in re.findall(r"\d+", css_rgb)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def test_keyboard_reaches_links_and_search_with_visible_focus(desktop: Page, sample: SamplePages):
    desktop.goto(sample.url("/tags/azawad"))
    reached = []
    for _ in range(6):
        desktop.keyboard.press("Tab")
        focused = desktop.evaluate(
            """() => {
              const e = document.activeElement, style = getComputedStyle(e);
              return {tag: e.tagName, name: e.getAttribute("name"), id: e.id,
                      outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
            }"""
        )
        assert focused["outline"] != "none" and focused["width"] > 0, focused
        reached.append(focused)
    ids = [f["id"] for f in reached]
    assert reached[0]["tag"] == "A"  # the site's name, home
    assert "search" in ids
    assert "A" in [f["tag"] for f in reached[ids.index("search") + 1 :]]


def test_phone_width_needs_no_sideways_scrolling(phone: Page, sample: SamplePages):
    for path in ("/", "/tags/azawad", sample.article, sample.story, "/search?q=Azawad"):
        phone.goto(sample.url(path))
        overflow = phone.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path


def test_pages_do_not_shift_while_loading(desktop: Page, phone: Page, sample: SamplePages):
    for page in (desktop, phone):
        for path in ("/", "/tags/azawad", sample.article, "/search?q=Azawad"):
            page.goto(sample.url(path))
            page.wait_for_load_state("load")
            assert page.evaluate(LAYOUT_SHIFT) < 0.01, path


def test_filters_narrow_the_tag_page_to_french(desktop: Page, sample: SamplePages):
    desktop.goto(sample.url("/tags/azawad"))
    form = desktop.locator("form", has=desktop.locator("select[name=lang]"))
    assert form.count() == 1
    form.locator("select[name=lang]").select_option("fr")
    form.get_by_role("button").first.click()
    expect(desktop).to_have_url(re.compile(r"[?&]lang=fr"))
    entries = desktop.get_by_role("article")
    expect(entries.first).to_be_visible()
    for entry in entries.all():
        expect(entry).to_have_attribute("lang", "fr")


def test_language_switch_to_french_and_back(desktop: Page, sample: SamplePages):
    desktop.goto(sample.url("/tags/azawad"))
    footer = desktop.get_by_role("contentinfo")
    french = footer.locator("a[href*='hl=fr']")
    assert french.count() == 1
    french.click()
    heading = desktop.get_by_role("heading", level=1)
    expect(heading).to_have_text("Dernières actualités avec #Azawad")
    desktop.goto(sample.url("/tags/azawad"))  # the choice is remembered
    expect(heading).to_have_text("Dernières actualités avec #Azawad")
    footer.locator("a[href*='hl=en']").click()
    expect(heading).to_have_text("Latest news with #Azawad")


def test_outlet_page_lists_that_outlets_articles(desktop: Page, sample: SamplePages):
    desktop.goto(sample.url("/tags/azawad"))
    outlet = desktop.get_by_role("article").first.locator("a[href^='/outlets/']")
    assert outlet.count() >= 1
    name = outlet.first.inner_text()
    outlet.first.click()
    expect(desktop).to_have_url(re.compile(r"/outlets/[a-z0-9-]+$"))
    expect(desktop.get_by_role("heading", level=1)).to_contain_text(name)
    expect(desktop.get_by_role("article").first.locator(".outlet")).to_contain_text(name)
