"""The HAR player: answers a browser context's requests from a recorded HAR, for `ippbot replay`.

Why not ``context.route_from_har``: Playwright's HAR router answers every request for a URL with
the same recorded entry (the first, or the one whose headers match best), and matches POST bodies
exactly. A recorded run asks for the same URL more than once with different answers: a 503 and
then the page, or IPR management before the submit (empty) and again while reconciling (with the
new IPR). `HarPlayer` answers them in recorded order instead, keyed by method and URL only, so
scrubbed values, multipart boundaries and cookies do not matter. Redirects are answered the way
Playwright's own HAR router answers them (see `_redirect_navigation`). The context is offline
(`set_offline`), so nothing the replay does can reach a live portal.
"""

from __future__ import annotations

import base64
import importlib.metadata
import json
from collections import defaultdict, deque
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from playwright.sync_api import BrowserContext, Route

from bot.errors import EnvironmentProblem, InputError

REDIRECTS = frozenset({301, 302, 303, 307, 308})
SAFE_METHODS = frozenset({"GET", "HEAD"})
MAX_REDIRECTS = 10
# The body is handed over decoded: its original length and encoding no longer apply.
_DROPPED_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding", "set-cookie"})


class HarPlayer:
    """Answers a context's requests from a HAR, in recorded order for each method and URL.

    The n-th request for a method and URL gets the n-th recorded answer. Once they are used up,
    a GET or HEAD gets the last one again (a page may load an asset once more); any other method
    is refused, so a submission the recording did not make is never answered.
    """

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self._answers: dict[tuple[str, str], deque[dict[str, Any]]] = defaultdict(deque)
        for entry in sorted(entries, key=lambda e: str(e.get("startedDateTime", ""))):
            request = entry["request"]
            self._answers[(request["method"], request["url"])].append(entry)
        self.refused: list[str] = []

    @classmethod
    def load(cls, har: Path) -> HarPlayer:
        """A player for the HAR file at `har`."""
        try:
            data = json.loads(har.read_text(encoding="utf-8"))
            return cls(list(data["log"]["entries"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{har}: not a readable HAR file ({exc})") from None

    def peek(self, method: str, url: str) -> dict[str, Any] | None:
        """The answer `take` would give next, without using it up."""
        answers = self._answers.get((method, url))
        return answers[0] if answers else None

    def take(self, method: str, url: str) -> dict[str, Any] | None:
        """The recorded answer for this request, or None when the HAR has none left."""
        answers = self._answers.get((method, url))
        if not answers:
            return None
        if len(answers) > 1 or method not in SAFE_METHODS:
            return answers.popleft()
        return answers[0]

    def attach(self, context: BrowserContext) -> None:
        """Answer every request of `context` from the HAR, and cut it off from the network."""
        context.set_offline(True)
        context.route("**/*", self.handle)

    def handle(self, route: Route) -> None:
        """Route handler: fulfil from the HAR, follow recorded redirects, refuse the rest."""
        request = route.request
        method, url = request.method, request.url
        entry = self.peek(method, url)
        location = _redirect_target(entry, url)
        if entry is not None and location is not None and request.is_navigation_request():
            self._redirect(route, method, url, _method_after_redirect(method, _status(entry)), location)
            return
        for _ in range(MAX_REDIRECTS):  # a fetch's redirects are followed here, as the browser would
            entry = self.take(method, url)
            location = _redirect_target(entry, url)
            if entry is None or location is None:
                break
            method, url = _method_after_redirect(method, _status(entry)), location
        self._answer(route, entry, f"{method} {url}")

    def _redirect(self, route: Route, method: str, url: str, next_method: str, location: str) -> None:
        # Only where the HAR can answer the new request: Playwright's driver does not survive a
        # redirected navigation that is then refused (its own HAR router checks this too). The
        # navigation goes on as a GET, so a 307/308 that keeps a POST cannot be replayed.
        if next_method != "GET" or not self._answers_finally(next_method, location):
            self.refused.append(f"{next_method} {location}")
            route.abort()
            return
        self.take(method, url)
        _redirect_navigation(route, location)

    def _answers_finally(self, method: str, url: str) -> bool:
        """Whether a request, after its recorded redirects, ends with an answer (looking only)."""
        for _ in range(MAX_REDIRECTS):
            entry = self.peek(method, url)
            location = _redirect_target(entry, url)
            if entry is None or location is None:
                return entry is not None and _status(entry) > 0
            method, url = _method_after_redirect(method, _status(entry)), location
        return False

    def _answer(self, route: Route, entry: dict[str, Any] | None, what: str) -> None:
        if entry is None:
            self.refused.append(what)
            route.abort()
            return
        response = entry["response"]
        if _status(entry) <= 0:  # the recording saw it fail (e.g. an image it blocked)
            route.abort()
            return
        headers = {h["name"]: h["value"] for h in response.get("headers", [])
                   if h["name"].lower() not in _DROPPED_HEADERS}
        route.fulfill(status=_status(entry), headers=headers, body=_body(response.get("content", {})))


def _status(entry: dict[str, Any]) -> int:
    return int(entry["response"].get("status", 0))


def _redirect_target(entry: dict[str, Any] | None, url: str) -> str | None:
    if entry is None or _status(entry) not in REDIRECTS:
        return None
    location = next((h["value"] for h in entry["response"].get("headers", []) if h["name"].lower() == "location"), "")
    return urljoin(url, location) if location else None


def _method_after_redirect(method: str, status: int) -> str:
    if (status in (301, 302) and method == "POST") or (status == 303 and method not in SAFE_METHODS):
        return "GET"
    return method


def _body(content: dict[str, Any]) -> bytes:
    text = str(content.get("text", ""))
    return base64.b64decode(text) if content.get("encoding") == "base64" else text.encode("utf-8")


def _redirect_navigation(route: Route, url: str) -> None:
    """Send a navigation on to `url`, as Playwright's own HAR router does for a recorded redirect.

    Chromium does not pass the request that follows a fulfilled 3xx through the routes (it would
    go to the network), so the navigation is moved to `url` instead, through the same internal
    call `route_from_har` makes. It is private API; tests/e2e/test_replay.py pins it.
    """
    impl = route._impl_obj
    redirect = getattr(impl, "_redirect_navigation_request", None)
    if redirect is None:
        raise EnvironmentProblem(
            f"ippbot replay needs Playwright's private Route._redirect_navigation_request, which Playwright "
            f"{_playwright_version()} does not have",
            fix="install the Playwright version pyproject.toml names: .venv/bin/pip install -e .")
    route._sync(redirect(url))


def _playwright_version() -> str:
    try:
        return importlib.metadata.version("playwright")
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown)"
