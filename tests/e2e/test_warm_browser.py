"""A warm browser: one context a run keeps Chromium's HTTP cache, and assets the flows never read never go out.

Counted where the portal sees them (`GET /__mock/requests`): a far-away portal charges a round trip
for every request, the stylesheet's too. The final post of each entry is answered through a route
(`flows.send_once`), and a route turns Chromium's cache off for its page (playwright#7220); the route
answers the browser 204 and is gone before the page is led to the confirmation, so a run fetches the
stylesheet once (before the warm context: about twice an entry; with the confirmation loaded under
the route: once more an entry).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from playwright.sync_api import Playwright, expect
from support import Operator, assert_each_once, make_settings, write_batch

from bot.browser import open_browser

STYLESHEET = "GET /static/style-v1.css"
BLOCKED = ("GET /static/analytics.js", "POST /__analytics", "GET /static/logo.png")
IPRS = 4


def test_a_run_fetches_the_stylesheet_once_and_no_blocked_asset(operator: Operator, tmp_path: Path) -> None:
    """A run of new IPRs with `--trace on`: the stylesheet once a run, confirmation pages included, no analytics,
    and each entry's trace is its own chunk, holding no other entry's requests."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=IPRS)), check=True)
    operator.portal.requests(reset=True)
    operator.ippbot("run", "--trace", "on", check=True)
    counted = operator.portal.requests()["by_route"]
    assert counted[STYLESHEET] == 1
    assert counted["POST /ipr/submit"] == counted["GET /ipr/{ref}"] == IPRS  # each posted once, each confirmation seen
    assert not [route for route in BLOCKED if route in counted]
    refs = [f"/ipr/{i['ref']}?" for i in operator.portal.state()["iprs"]]
    traces = sorted((operator.data_dir / "runs").glob("*/traces/*.zip"))
    assert len(traces) == IPRS
    for trace in traces:
        network = zipfile.ZipFile(trace).read("trace.network").decode()
        assert sum(ref in network for ref in refs) == 1  # its own confirmation page, no other entry's
    assert_each_once(operator.portal, operator)


def test_a_dry_run_fetches_the_stylesheet_once(operator: Operator, tmp_path: Path) -> None:
    """A dry run (every form filled, no final post, so no route) fetches the stylesheet once for the whole run."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=IPRS)), check=True)
    operator.portal.requests(reset=True)
    operator.ippbot("run", "--dry-run", check=True)
    counted = operator.portal.requests()["by_route"]
    assert counted["GET /ipr/submit"] == IPRS
    assert counted[STYLESHEET] == 1


def test_a_session_that_expires_mid_run_is_renewed_in_the_warm_context(operator: Operator, tmp_path: Path) -> None:
    """The portal drops the session mid-run: the flow logs in again on its page and the next entries go on in the
    same context with its cache; the stored session file holds the new session; every IPR is filed once."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=IPRS)), check=True)
    session = make_settings(operator.portal.url, operator.data_dir).session_file
    before = json.loads(session.read_text(encoding="utf-8"))["cookies"]
    operator.portal.faults(session_expiry=7)
    operator.portal.requests(reset=True)
    operator.ippbot("run")  # an entry whose submit met the expiry is looked up and put back: exit 1
    assert operator.portal.fired()["session_expiry"] >= 1
    assert operator.portal.requests()["by_route"][STYLESHEET] <= 1 + IPRS
    assert json.loads(session.read_text(encoding="utf-8"))["cookies"] != before
    operator.portal.faults()
    operator.ippbot("run", check=True)  # the session the first run stored still serves
    assert all(row["state"] == "confirmed" for row in operator.status())
    assert_each_once(operator.portal, operator)


def test_a_blocked_asset_never_reaches_the_portal(operator: Operator, playwright: Playwright) -> None:
    """An image and the analytics script a page links are dropped by Chromium before they go out; the stylesheet
    still loads, once for two pages of one context."""
    settings = make_settings(operator.portal.url, operator.data_dir)
    static = f"{operator.portal.url}/static"
    links = (f'<img src="{static}/logo.png"><script src="{static}/analytics.js"></script>'
             f'<link rel="stylesheet" href="{static}/style-v1.css"><p>ready</p>')
    operator.portal.requests(reset=True)
    with open_browser(settings, playwright) as session, session.context() as context:
        for _ in range(2):
            page = session.new_page(context)
            page.goto(f"{operator.portal.url}/login.htm")
            page.set_content(links)
            expect(page.locator("p")).to_have_text("ready")
            page.close()
    counted = operator.portal.requests()["by_route"]
    assert not [route for route in BLOCKED if route in counted]
    assert counted[STYLESHEET] == 1
