"""The mock portal's small things: one word for the slider check everywhere, and a logo that always loads."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fixtures.portal.__main__ import parse_args
from fixtures.portal.config import PortalConfig
from fixtures.portal.faults import FaultSpecError, parse_spec

LOGO = Path(__file__).resolve().parents[2] / "fixtures" / "portal" / "static" / "logo.png"


@pytest.mark.parametrize(("spec", "captcha_login"), [
    ("captcha_login=slider", "slider"), ("captcha_login=off", "off"),
    ("captcha_login=on", "slider"), ("captcha_login=true", "slider"), ("captcha_login=0", "off"),
])
def test_captcha_login_takes_the_words_of_captcha(spec: str, captcha_login: str) -> None:
    """`captcha_login` takes `slider` and `off`, as `captcha` and `--captcha` do; its old `on` still means slider."""
    assert parse_spec(spec) == {"captcha_login": captcha_login}


def test_captcha_keeps_its_words() -> None:
    """`captcha` takes `slider` and `off` only, as before."""
    assert parse_spec("captcha=slider") == {"captcha": "slider"}
    with pytest.raises(FaultSpecError):
        parse_spec("captcha=maybe")


@pytest.mark.parametrize(("argv", "captcha_login"), [
    ([], "off"), (["--captcha-login"], "slider"), (["--captcha-login", "slider"], "slider"),
    (["--captcha-login", "off"], "off"), (["--captcha-login", "--port", "0"], "slider"),
])
def test_the_command_line_speaks_the_same_words(argv: list[str], captcha_login: str) -> None:
    """`--captcha-login off|slider`, and the bare `--captcha-login` of before, which means slider."""
    assert parse_args(argv).captcha_login == captcha_login


def test_a_configuration_of_before_still_works(tmp_path: Path) -> None:
    """`PortalConfig(captcha_login=True)`, as the field once was, means the slider at log-in."""
    assert PortalConfig(data_dir=tmp_path, captcha_login=True).captcha_login == "slider"  # type: ignore[arg-type]
    assert PortalConfig(data_dir=tmp_path, captcha_login=False).captcha_login == "off"  # type: ignore[arg-type]


def test_the_control_api_switches_the_log_in_slider_with_those_words(client: TestClient) -> None:
    """`POST /__mock/faults {"captcha_login": "slider"}` puts the slider on the log-in page; `off` takes it away."""
    assert client.post("/__mock/faults", json={"captcha_login": "slider"}).status_code == 200
    assert "slider-check" in client.get("/login.htm").text
    assert client.post("/__mock/faults", json={"captcha_login": "off"}).status_code == 200
    assert "slider-check" not in client.get("/login.htm").text


@pytest.mark.parametrize("layout", ["v1", "v2"])
def test_the_logo_is_in_the_page_itself(open_client: Callable[..., TestClient], layout: str) -> None:
    """Every page carries its logo inline, so it shows even where image requests are blocked (ippbot's browser)."""
    html = open_client(layout=layout).get("/login.htm").text
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert base64.b64decode(sources[0].removeprefix("data:image/png;base64,")) == LOGO.read_bytes()
    assert "/static/logo.png" not in html


def test_the_logo_file_is_still_served(client: TestClient) -> None:
    """`/static/logo.png` still answers, for anything that links to it."""
    answer = client.get("/static/logo.png")
    assert (answer.status_code, answer.content) == (200, LOGO.read_bytes())


def test_static_files_say_how_long_a_browser_may_keep_them(client: TestClient) -> None:
    """The stylesheet comes with a max-age, as from a real portal's CDN: a browser that keeps its cache asks once."""
    answer = client.get("/static/style-v1.css")
    assert answer.headers["cache-control"] == "public, max-age=3600"
