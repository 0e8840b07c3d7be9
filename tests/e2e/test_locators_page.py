"""Selectors on a live page: each kind finds its element, and a miss names the file and key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright, expect

from bot.browser import open_browser
from bot.errors import PortalChanged
from bot.locators import PageSelectors, Selectors
from bot.settings import Settings

pytestmark = pytest.mark.e2e

FORM = """
<form>
  <label>Email <input name="email"></label>
  <input placeholder="Phone number">
  <p>Verification code sent</p>
  <div data-testid="captcha-slider">slider</div>
  <button>Agree and register</button>
  <button class="extra">Cancel</button>
  <a href="#">Help</a><a href="#">Help</a>
</form>
"""

REGISTER = """
email = { label = "Email" }
phone = { placeholder = "Phone number" }
notice = { text = "Verification code sent" }
slider = { test_id = "captcha-slider" }
agree = { role = "button", name = "Agree and register" }
cancel = { css = "button.extra" }
help = { role = "link", name = "Help" }
captcha = { css = "#captcha" }
"""


@pytest.fixture(scope="module")
def form_page(playwright: Playwright) -> Iterator[Page]:
    """A page showing a small registration form, in a browser launched as a run does."""
    browser = open_browser(Settings(_env_file=None), playwright)
    with browser as session, session.context() as context:
        page = context.new_page()
        page.set_content(FORM)
        yield page


@pytest.fixture
def register(tmp_path: Path) -> PageSelectors:
    (tmp_path / "register.toml").write_text(REGISTER)
    return Selectors.load(tmp_path).page("register")


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("email", ""),
        ("phone", ""),
        ("notice", "Verification code sent"),
        ("slider", "slider"),
        ("agree", "Agree and register"),
        ("cancel", "Cancel"),
    ],
)
def test_each_kind_resolves_to_its_element(
    form_page: Page, register: PageSelectors, key: str, text: str
) -> None:
    """Label, placeholder, text, test id, role and CSS entries each find exactly their element."""
    locator = register.resolve(form_page, key, timeout_ms=2000)
    expect(locator).to_have_count(1)
    if text:
        expect(locator).to_have_text(text)


def test_a_key_matching_nothing_is_portal_changed(form_page: Page, register: PageSelectors) -> None:
    """A selector that matches no element raises PortalChanged naming the file and key."""
    with pytest.raises(PortalChanged) as caught:
        register.resolve(form_page, "captcha", timeout_ms=100)
    assert (caught.value.key, caught.value.detail) == ("captcha", "matches no element")
    assert caught.value.selector_file.endswith("register.toml")


def test_a_key_matching_several_is_portal_changed(form_page: Page, register: PageSelectors) -> None:
    """A selector that matches several elements raises PortalChanged saying how many."""
    with pytest.raises(PortalChanged, match="help: matches 2 elements"):
        register.resolve(form_page, "help", timeout_ms=2000)


def test_selectors_work_inside_a_locator(form_page: Page, register: PageSelectors) -> None:
    """get() scopes a selector to a part of the page."""
    form = form_page.locator("form")
    expect(register.get(form, "agree")).to_have_text("Agree and register")
