"""The final submit, sent once: ippbot posts the form itself, so the browser can never send it twice.

Why: Chromium re-sends a request of any method, a POST too, when a reused keep-alive connection
is reset before the first byte of the answer (`ShouldResendRequest` in its
`net/http/http_network_transaction.cc`; a socket that sat idle after it was opened counts as
reused, and HTTP/2 and QUIC have retry paths of their own, `ERR_HTTP2_PING_FAILED` among them).
A portal that stored the first copy then holds two. Measured here through a proxy that resets
reused connections after the portal stored the post (`tests/reset_proxy.py`): Chromium's own
submit filed 20 of 20 twice, with no error shown; this path filed each exactly once in 60 clicks.

How: right before the click, the form's fields are read from the page as Chromium would send
them (`new FormData(form, submitter)`: the CSRF token, every field, the button's own name), and
the body is built here, with the files the flow attached read from disk (Playwright hands a
route Chromium's body with every file part empty). A route on the form's action then answers the
browser's post with that body, sent by httpx (HTTP/1.1, which never retries on its own) with the
browser's own headers and cookies, not following the redirect: the page then shows the portal's
own answer (the confirmation, or the form with its errors), in one of the two ways below. Every
post goes on a fresh connection, so a socket the portal closed while idle cannot fail it. Not
`route.fetch`: it sends the same way, but a context that records a HAR then waits for ever on
closing after a fetch that failed (the HAR recorder keeps its entry open). A reset or timeout
leaves the outcome unknown: the ledger reconciles it against the portal's records, never a second
copy. The route lives only around the click, as a route turns Chromium's HTTP cache off
(playwright#7220).

**Held, then led** (every run but one that records a HAR, `FlowContext.follow_post`): the route
answers the browser's post with `204 No Content` and the portal's cookies only, so the page stays
where it is and Chromium follows nothing while the route is in place; the portal's answer is kept
(`Sending.answer`). Once the route is gone, `lead` shows it: a redirect is followed by a navigation
of its own, as the browser follows a 303 (a GET of its `Location`), so the confirmation page's
stylesheet comes from Chromium's cache, not from a far portal again (issue #16: one request an
entry). Any other answer (the form with its errors, a 5xx) is shown at the post's URL from what the
portal sent. Every refusal (a second copy, the fence, a reset) is a 204 too: nothing goes twice,
the page keeps the form, and no error page commits that could cut off the next navigation.

**Followed by the browser** (a run that records a HAR, `--har`): the route answers the browser's
post with the portal's own answer, and the browser follows the 303 itself, since a replay's browser
posts through the HAR player and must land as it did; the confirmation then loads under the route,
its stylesheet fetched again. A reset or timeout aborts the browser's request, and before the route
goes, it waits for the error page Chromium commits for the aborted post, which would otherwise cut
off the look-up's first navigation ("interrupted by another navigation to chrome-error://").
The HAR holds the answer the route gave.
Playwright's HAR recorder can wait for ever, on closing the context, on an answer a route
fulfilled (the portal's 502 did it: a body size worked out as -1, its marker for "not known yet");
`bot.run.evidence` closes the pages before the context, which ends that wait (issue #10).

Replay turns this off (`FlowContext.send_once`): this post bypasses the context's routes, so
it would reach a live portal, while Chromium's own post is answered by the HAR player.
"""

from __future__ import annotations

import re
import secrets
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, Request, Response, Route

from bot.errors import PortalError

# The button's form, read as the browser would submit it; files by name and size, for the body built here.
_READ_FORM = """(button) => {
  const form = button.form;
  if (!form) return null;
  // the prototype's getters: a field named "action" or "method" shadows form.action (DOM clobbering)
  const own = (proto, name, el) => Object.getOwnPropertyDescriptor(proto, name).get.call(el);
  const submitter = button.type === 'submit';
  const pick = (name, attr) => submitter && button.hasAttribute(attr) ? own(HTMLButtonElement.prototype, name, button)
      : own(HTMLFormElement.prototype, name.replace('form', '').toLowerCase(), form);
  const data = submitter ? new FormData(form, button) : new FormData(form);
  const fields = [...data.entries()].map(([name, v]) => typeof v === 'string' ? {name, value: v}
      : {name, filename: v.name, size: v.size, type: v.type});
  return {action: pick('formAction', 'formaction'), method: pick('formMethod', 'formmethod'),
          enctype: pick('formEnctype', 'formenctype'), fields};
}"""
_DROPPED_HEADERS = frozenset({"content-type", "content-length", "connection", "host"})
_DECODED = frozenset({"content-length", "content-encoding", "transfer-encoding"})
_NEWLINE = re.compile(r"\r\n|\r|\n")
ERROR_PAGE = "chrome-error://"  # where Chromium shows a navigation that failed


@dataclass(frozen=True)
class Post:
    """The final submission as ippbot sends it: where, the body, and its content type."""

    url: str
    body: bytes
    content_type: str


@dataclass
class Sending:
    """What happened to the one post while the route was in place (`aborted`: a browser's post was refused,
    failed or, when held, answered 204 with nothing sent for it)."""

    sent: bool = False
    error: BaseException | None = None
    aborted: bool = False
    fenced: Exception | None = None  # what the fence raised: nothing was sent
    answer: httpx.Response | None = None  # the portal's answer, held: the browser was answered 204 (`lead` shows it)


def prepare(button: Locator, uploads: Mapping[str, Sequence[Path]]) -> Post:
    """The post the button would make, built from the page's fields and the files in `uploads` (by field name)."""
    form: dict[str, Any] | None = button.evaluate(_READ_FORM)
    if form is None or str(form["method"]).lower() != "post":
        raise PortalError("the submit button is not in a form that posts")
    fields: list[dict[str, Any]] = form["fields"]
    if form["enctype"] == "multipart/form-data":
        body, content_type = multipart(fields, uploads)
    else:
        body, content_type = urlencoded(fields), "application/x-www-form-urlencoded"
    return Post(url=str(form["action"]), body=body, content_type=content_type)


@contextmanager
def sending_once(page: Page, post: Post, timeout_ms: float,
                 fence: Callable[[], None] = lambda: None, *, hold: bool = False) -> Iterator[Sending]:
    """Answer the browser's post to `post.url` with `post`, sent once; the route is gone on leaving.

    `fence` is asked right before the post goes: when it raises, nothing is sent, the browser's post
    is refused, and `Sending.fenced` keeps what it raised. `hold`: the browser is answered 204 and the
    portal's answer kept in `Sending.answer` (module docstring); else it gets the portal's answer, or an
    aborted request when there is none."""
    sending = Sending()

    def handle(route: Route, request: Request) -> None:
        if request.method != "POST":
            route.fallback()
        elif sending.sent or sending.fenced:  # never a second copy, whoever asks for it
            _refuse(route, sending, hold=hold)
        else:
            try:
                fence()
            except Exception as exc:  # the run may no longer send: nothing goes, the submit says why
                sending.fenced = exc
                _refuse(route, sending, hold=hold)
                return
            sending.sent = True
            _forward(route, request, post, timeout_ms, sending, hold=hold)

    def matches(url: str) -> bool:
        return url == post.url

    page.route(matches, handle)
    try:
        yield sending
    finally:
        if sending.aborted and not hold:
            await_error_page(page, timeout_ms)
        # Waits for a handler still under way (its post maybe not sent yet: it yields on each call to the browser),
        # so that nothing of it happens after the caller has settled the submit. The page has no other route.
        page.unroute_all(behavior="wait")


def lead(page: Page, post: Post, answer: httpx.Response) -> Response | None:
    """Show the portal's held answer to `post` in the page, with no route of ippbot's in place.

    A redirect is followed as the browser follows a 303: a GET of its `Location`, the form's page (where
    the 204 left the page) as referer; a 307 or 308 too, never a second post (its missing confirmation is
    an unknown outcome the look-up settles). Any other answer (the form with its errors, a 5xx) is shown
    at the post's URL from what the portal sent, through a route that lives for that one navigation (the
    portal's cookies came with the 204 already)."""
    location = answer.headers.get("location")
    if answer.is_redirect and location:
        return page.goto(urljoin(post.url, location), wait_until="domcontentloaded", referer=page.url)
    headers = {name: value for name, value in _answer_headers(answer).items() if name != "set-cookie"}

    def show(route: Route) -> None:
        route.fulfill(status=answer.status_code, headers=headers, body=answer.content)

    def matches(url: str) -> bool:
        return url == post.url

    page.route(matches, show, times=1)
    try:
        return page.goto(post.url, wait_until="domcontentloaded")
    finally:
        page.unroute(matches, show)


def await_error_page(page: Page, timeout_ms: float) -> None:
    """Wait for the error page Chromium commits for an aborted post, so that it cannot cut off the next step.

    The click's navigation fails first (`net::ERR_FAILED`) and the error page commits a moment later:
    a navigation started in between (the reconcile look-up's `goto`) is "interrupted by another
    navigation to chrome-error://chromewebdata/". Not there in time: the look-up's own checks decide.
    """
    try:
        page.wait_for_url(lambda url: url.startswith(ERROR_PAGE), wait_until="commit", timeout=timeout_ms)
    except PlaywrightError:
        return


def _forward(route: Route, request: Request, post: Post, timeout_ms: float, sending: Sending, *,
             hold: bool) -> None:
    headers = {k: v for k, v in request.all_headers().items() if k.lower() not in _DROPPED_HEADERS}
    headers |= {"content-type": post.content_type, "connection": "close"}
    try:
        answer = httpx.post(post.url, content=post.body, headers=headers, timeout=timeout_ms / 1000,
                            follow_redirects=False, verify=_tls())
    except httpx.HTTPError as exc:  # reset, timeout: the portal may have stored it; never sent again
        sending.error = exc
        _refuse(route, sending, hold=hold)
        return
    if hold:
        sending.answer = answer
        cookies = _answer_headers(answer).get("set-cookie")
        route.fulfill(status=204, headers={"set-cookie": cookies} if cookies else {})
    else:
        route.fulfill(status=answer.status_code, headers=_answer_headers(answer), body=answer.content)


def _refuse(route: Route, sending: Sending, *, hold: bool) -> None:
    """The browser's post goes no further: answered 204 when held, else failed (Chromium shows its error page)."""
    sending.aborted = True
    if hold:
        route.fulfill(status=204)
    else:
        route.abort("failed")


@cache
def _tls() -> ssl.SSLContext:
    """httpx's default TLS context, made once: making one loads the CA bundle, 20-25 ms a post here."""
    return httpx.create_ssl_context()


def _answer_headers(answer: httpx.Response) -> dict[str, str]:
    """The portal's headers for the browser: the body is handed over decoded, so its length and encoding go."""
    merged: dict[str, list[str]] = {}
    for name, value in answer.headers.multi_items():
        if name.lower() not in _DECODED:
            merged.setdefault(name.lower(), []).append(value)
    return {name: ("\n" if name == "set-cookie" else ", ").join(values) for name, values in merged.items()}


def multipart(fields: Sequence[Mapping[str, Any]], uploads: Mapping[str, Sequence[Path]]) -> tuple[bytes, str]:
    """`multipart/form-data` as Chromium encodes it, each file's content read from `uploads`."""
    boundary = "----ippbotFormBoundary" + secrets.token_hex(12)
    queues = {name: list(paths) for name, paths in uploads.items()}
    out = bytearray()
    for entry in fields:
        out += f"--{boundary}\r\n".encode()
        name = _quoted(_crlf(str(entry["name"])))
        if "value" in entry:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            out += _crlf(str(entry["value"])).encode("utf-8") + b"\r\n"
            continue
        filename = str(entry["filename"])
        content = _file_content(entry, queues.get(str(entry["name"]), [])) if filename else b""
        out += (f'Content-Disposition: form-data; name="{name}"; filename="{_quoted(filename)}"\r\n'
                f"Content-Type: {entry['type'] or 'application/octet-stream'}\r\n\r\n").encode()
        out += content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def urlencoded(fields: Sequence[Mapping[str, Any]]) -> bytes:
    """`application/x-www-form-urlencoded`, as a browser encodes a form (a file field sends its name)."""
    pairs = [(_crlf(str(e["name"])), _crlf(str(e.get("value", e.get("filename", ""))))) for e in fields]
    return urlencode(pairs).encode("ascii")


def _file_content(entry: Mapping[str, Any], queue: list[Path]) -> bytes:
    """The next file attached to this field, checked against what the page holds (name and size)."""
    if not queue:
        raise PortalError(f"the form's field {entry['name']!r} holds {entry['filename']!r}, "
                          "which ippbot did not attach")
    path = queue.pop(0)
    content = path.read_bytes()
    if path.name != entry["filename"] or len(content) != int(entry["size"]):
        raise PortalError(f"the form's field {entry['name']!r} holds {entry['filename']!r} "
                          f"({entry['size']} bytes), not the attached {path.name} ({len(content)} bytes)")
    return content


def _crlf(text: str) -> str:
    return _NEWLINE.sub("\r\n", text)


def _quoted(text: str) -> str:
    """A name or file name inside a quoted header value, escaped as Chromium escapes it."""
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
