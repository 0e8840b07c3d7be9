"""Selectors loader: TOML entries become locator descriptions; bad ones name their file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import locators
from bot.errors import ConfigError
from bot.locators import LocatorSpec, Selectors
from bot.settings import DEFAULT_SELECTORS_DIR

pytestmark = pytest.mark.unit

REGISTER = """
email = { label = "Email" }
agree = { role = "button", name = "Agree and register", exact = true }
notice = { text = "Code sent", exact = false }
slider = { test_id = "captcha-slider" }
search = { placeholder = "Search" }
legacy = { css = "form#ipr .submit" }
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def test_every_kind_is_parsed(tmp_path: Path) -> None:
    """Each kind of entry becomes a LocatorSpec with its options."""
    write(tmp_path, "register", REGISTER)
    page = Selectors.load(tmp_path).page("register")
    assert page.spec("email") == LocatorSpec("label", "Email")
    assert page.spec("agree") == LocatorSpec("role", "button", "Agree and register", True)
    assert page.spec("notice") == LocatorSpec("text", "Code sent", exact=False)
    assert page.spec("slider") == LocatorSpec("test_id", "captcha-slider")
    assert page.spec("search") == LocatorSpec("placeholder", "Search")
    assert page.spec("legacy") == LocatorSpec("css", "form#ipr .submit")


def test_iter_all_lists_every_selector_in_order(tmp_path: Path) -> None:
    """iter_all yields (file, key, description) for every entry, files sorted, keys as written."""
    write(tmp_path, "login", 'submit = { role = "button", name = "Log in" }\n')
    write(tmp_path, "register", REGISTER)
    listed = [(Path(file).name, key) for file, key, _ in Selectors.load(tmp_path).iter_all()]
    assert listed[:2] == [("login.toml", "submit"), ("register.toml", "email")]
    assert len(listed) == 7


def test_descriptions_read_like_the_toml() -> None:
    """A description prints as its kind, value and options, for reports and the check command."""
    spec = LocatorSpec("role", "button", "Agree and register", True)
    assert str(spec) == "role='button', name='Agree and register', exact=True"


def test_repository_files_are_named_relative_to_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files inside the repository are named like selectors/register.toml in errors."""
    monkeypatch.setattr(locators, "REPO_ROOT", tmp_path)
    write(tmp_path / "selectors", "register", REGISTER)
    assert Selectors.load(tmp_path / "selectors").page("register").file == "selectors/register.toml"


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('key = "Email"', "expected a table"),
        ("key = { name = 'Email' }", "needs exactly one of role, label, text"),
        ("key = { label = 'Email', css = '#email' }", "found label, css"),
        ("key = { label = 'Email', name = 'x' }", "name cannot go with label"),
        ("key = { css = '#a', exact = true }", "exact cannot go with css"),
        ("key = { label = '' }", "label must be a non-empty string"),
        ("key = { css = 3 }", "css must be a non-empty string"),
        ("key = { role = 'buton' }", "'buton' is not an ARIA role"),
        ("key = { role = 'button', name = 7 }", "name must be a string"),
        ("key = { text = 'Go', exact = 'yes' }", "exact must be true or false"),
    ],
)
def test_malformed_entries_name_file_and_key(tmp_path: Path, entry: str, problem: str) -> None:
    """A malformed entry fails the load with ConfigError naming the file, key and problem."""
    path = write(tmp_path, "ipr", entry + "\n")
    with pytest.raises(ConfigError) as caught:
        Selectors.load(tmp_path)
    assert str(caught.value).startswith(f"{path}: key: ")
    assert problem in str(caught.value)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    """A file that is not TOML fails the load with ConfigError naming it."""
    path = write(tmp_path, "ipr", "submit = { css = \n")
    with pytest.raises(ConfigError, match=f"{path}: not valid TOML"):
        Selectors.load(tmp_path)


def test_unknown_page_and_key_name_what_was_asked(tmp_path: Path) -> None:
    """Asking for a page or key that does not exist is a ConfigError naming it."""
    path = write(tmp_path, "register", REGISTER)
    selectors = Selectors.load(tmp_path)
    with pytest.raises(ConfigError, match="no selector file for page 'complaint'"):
        selectors.page("complaint")
    with pytest.raises(ConfigError, match=f"{path}: no selector 'captcha'"):
        selectors.page("register").spec("captcha")


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    """Loading from a folder that does not exist is a ConfigError naming it."""
    with pytest.raises(ConfigError, match="does not exist"):
        Selectors.load(tmp_path / "nowhere")


def test_repository_selector_files_all_load() -> None:
    """Every file in the repository's selectors/ parses (an empty folder loads as no pages)."""
    if not DEFAULT_SELECTORS_DIR.is_dir():
        pytest.skip("no selectors/ folder")
    assert isinstance(Selectors.load(DEFAULT_SELECTORS_DIR), Selectors)
