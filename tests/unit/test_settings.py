"""Settings: read from IPPBOT_* variables and .env, with defaults that suit the mock portal."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import (
    DEFAULT_SELECTORS_DIR,
    REPO_ROOT,
    SAMPLE_IDENTITY_DOCUMENT,
    Settings,
    load_settings,
)

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run each test in an empty folder with no IPPBOT_* variables set."""
    for name in [n for n in os.environ if n.startswith("IPPBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_suit_the_mock_portal() -> None:
    """With nothing configured, settings point at the local mock portal and its demo account."""
    settings = Settings()
    assert settings.portal_url == "http://127.0.0.1:8765"
    assert settings.data_dir == Path(".ippbot")
    assert settings.headless is True
    assert settings.trace == "retain-on-failure"
    assert settings.password.get_secret_value()


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """IPPBOT_* variables set the matching fields, converted to their types."""
    monkeypatch.setenv("IPPBOT_PORTAL_URL", "http://portal.test:9000/")
    monkeypatch.setenv("IPPBOT_HEADLESS", "false")
    monkeypatch.setenv("IPPBOT_TIMEOUT_MS", "2500")
    monkeypatch.setenv("IPPBOT_DATA_DIR", "/srv/ippbot")
    settings = Settings()
    assert settings.portal_url == "http://portal.test:9000"
    assert settings.headless is False
    assert settings.timeout_ms == 2500
    assert settings.data_dir == Path("/srv/ippbot")


def test_dotenv_in_the_working_folder_is_read(clean_env: Path) -> None:
    """A .env file in the working folder is read, and unknown IPPBOT_ names in it are ignored."""
    (clean_env / ".env").write_text(
        "IPPBOT_EMAIL=ops@brand.test\nIPPBOT_NOT_A_SETTING=1\nIPPBOT_LOCATION=hong_kong\n"
    )
    settings = Settings()
    assert settings.email == "ops@brand.test"
    assert settings.location == "hong_kong"


def test_environment_beats_dotenv(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable in the environment wins over the same one in .env."""
    (clean_env / ".env").write_text("IPPBOT_EMAIL=from-file@brand.test\n")
    monkeypatch.setenv("IPPBOT_EMAIL", "from-env@brand.test")
    assert Settings().email == "from-env@brand.test"


def test_empty_variables_mean_the_default(clean_env: Path) -> None:
    """A variable set to nothing (as in an uncommented .env.example line) keeps the default."""
    (clean_env / ".env").write_text("IPPBOT_IDENTITY_DOCUMENT=\nIPPBOT_BROWSER_PATH=\n")
    settings = Settings()
    assert settings.browser_path is None
    assert settings.resolved_identity_document() == SAMPLE_IDENTITY_DOCUMENT


def test_password_never_shows_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    """The password is a SecretStr: printing the settings does not print it."""
    monkeypatch.setenv("IPPBOT_PASSWORD", "canary-Pa55word")
    settings = Settings()
    assert "canary-Pa55word" not in repr(settings)
    assert "canary-Pa55word" not in str(settings)
    assert settings.password.get_secret_value() == "canary-Pa55word"


def test_paths_derive_from_the_data_dir() -> None:
    """The session file and runs folder live in the data dir."""
    settings = Settings(data_dir=Path("/data"), email="me@brand.test")
    assert settings.session_file == Path("/data/session/me@brand.test.json")
    assert settings.runs_dir == Path("/data/runs")


def test_each_account_has_its_own_session_file() -> None:
    """Two accounts on one data dir never share a stored session; the email's case does not matter."""
    def session(email: str) -> Path:
        return Settings(data_dir=Path("/data"), email=email).session_file

    assert session("a@brand.test") != session("b@brand.test")
    assert session("Me@Brand.test") == session("me@brand.test")
    odd = session("../x/y@brand.test")  # anything but letters, digits and @._+- is encoded
    assert odd.parent == Path("/data/session") and odd.name == "..%2Fx%2Fy@brand.test.json"
    assert session("a/b@brand.test") != session("a_b@brand.test")
    long = session("x" * 300 + "@brand.test")
    assert long.parent == Path("/data/session") and len(long.name) < 255
    assert long != session("x" * 301 + "@brand.test")


def test_unset_optional_fields_resolve_to_their_defaults() -> None:
    """Contact email, identity document and selectors folder fall back to documented defaults."""
    settings = Settings(email="me@brand.test")
    assert settings.resolved_contact_email() == "me@brand.test"
    assert settings.resolved_identity_document() == SAMPLE_IDENTITY_DOCUMENT
    assert SAMPLE_IDENTITY_DOCUMENT.is_relative_to(REPO_ROOT / "fixtures")
    assert settings.resolved_selectors_dir() == DEFAULT_SELECTORS_DIR == REPO_ROOT / "selectors"


def test_set_optional_fields_are_used_as_given() -> None:
    """Given values for the optional fields are used instead of the defaults."""
    settings = Settings(
        contact_email="legal@brand.test",
        identity_document=Path("/docs/licence.pdf"),
        selectors_dir=Path("/sel"),
    )
    assert settings.resolved_contact_email() == "legal@brand.test"
    assert settings.resolved_identity_document() == Path("/docs/licence.pdf")
    assert settings.resolved_selectors_dir() == Path("/sel")


def test_load_settings_overrides_beat_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI overrides win over the environment, and overrides left as None are ignored."""
    monkeypatch.setenv("IPPBOT_HEADLESS", "true")
    monkeypatch.setenv("IPPBOT_SLOW_MO_MS", "40")
    settings = load_settings(headless=False, slow_mo_ms=None)
    assert settings.headless is False
    assert settings.slow_mo_ms == 40


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IPPBOT_LOG_FORMAT", "verbose-canary"),
        ("IPPBOT_TIMEOUT_MS", "0"),
        ("IPPBOT_PORTAL_URL", "ftp://canary.test"),
        ("IPPBOT_LOG_LEVEL", "chatty-canary"),
        ("IPPBOT_TRACE", "always-canary"),
    ],
)
def test_bad_values_raise_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """A bad value raises ConfigError naming the variable, without echoing the value."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name) as caught:
        load_settings()
    assert "canary" not in str(caught.value)


def test_retry_base_above_max_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    """A back-off base longer than its cap is a configuration error."""
    monkeypatch.setenv("IPPBOT_RETRY_BASE_S", "90")
    with pytest.raises(ConfigError, match="retry_base_s"):
        load_settings()


def test_env_example_lists_every_setting_and_no_live_value() -> None:
    """.env.example names every field once, and every assignment in it is commented out."""
    text = (REPO_ROOT / ".env.example").read_text()
    listed = re.findall(r"^# (IPPBOT_[A-Z_]+)=", text, flags=re.MULTILINE)
    assert sorted(listed) == sorted(f"IPPBOT_{f.upper()}" for f in Settings.model_fields)
    live = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert live == []


def test_the_email_is_read_as_the_portal_reads_it() -> None:
    """`Brand@X.com ` and `brand@x.com` are one portal account: one lease, one session, one ledger pin."""
    settings = Settings(_env_file=None, email=" Brand@Example.COM ")  # type: ignore[call-arg]
    assert settings.email == "brand@example.com"
    assert settings.session_file == Settings(_env_file=None, email="brand@example.com").session_file  # type: ignore[call-arg]


@pytest.mark.parametrize("blank", ["", "  ", '""'])
def test_a_blank_setting_is_unset(clean_env: Path, monkeypatch: pytest.MonkeyPatch, blank: str) -> None:
    """An email set to nothing, to spaces, or to "" in .env means the default, and says it is the default."""
    (clean_env / ".env").write_text(f"IPPBOT_EMAIL={blank}\n")
    monkeypatch.setenv("IPPBOT_PHONE", "   ")
    settings = Settings()
    assert (settings.email, settings.phone) == ("brand@example.com", "+86 138 0000 0000")
    assert settings.email_is_default


def test_a_given_email_is_not_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """An email given in the environment is the account's own, even when it is the demo address."""
    monkeypatch.setenv("IPPBOT_EMAIL", "brand@example.com")
    assert not Settings().email_is_default
