"""The page-object base: open a page by its URL, find elements by selector key, fill, click, read.

Every navigation is checked: a 429 becomes `RateLimited` (with `Retry-After`), a 5xx or a
maintenance page `PortalServerError`, a bounce to the log-in page `SessionExpired`, and a
Playwright error is converted with the entry, step and URL attached. `submit()` is the one
final click: whatever goes wrong after it is `SubmitOutcomeUnknown`, never a plain retry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Response

from bot.errors import (
    NeedsHuman,
    PortalChanged,
    PortalError,
    PortalMaintenance,
    PortalRejected,
    PortalServerError,
    RateLimited,
    SessionExpired,
    SubmitOutcomeUnknown,
    first_line,
)
from bot.locators import PageSelectors
from flows.boundary import from_playwright
from flows.context import FlowContext
from flows.send_once import Post, Sending, await_error_page, lead, prepare, sending_once


class PortalPage:
    """One portal page, described by `selectors/<name>.toml`."""

    name = ""

    def __init__(self, ctx: FlowContext) -> None:
        self.ctx = ctx
        self.page = ctx.page
        self.sel: PageSelectors = ctx.selectors.page(self.name)
        self.common: PageSelectors = ctx.selectors.page("common")

    # -- navigation -------------------------------------------------------------------------
    def open(self, **params: str) -> None:
        """Go straight to this page's URL and check what came back."""
        url = self.ctx.base_url + self.sel.url(**params)
        try:
            response = self.page.goto(url, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            raise self._convert(exc, "open") from exc
        self.check_landing(response, "open")

    def check_landing(self, response: Response | None, step: str) -> None:
        """Raise the right error when the portal answered with a fault instead of this page."""
        url = self.page.url
        after = _seconds(response.headers.get("retry-after", "")) if response is not None else None
        if response is not None and response.status == 503 and after:  # the maintenance page: said as such
            raise PortalMaintenance(f"the portal asks us to come back later (maintenance) ({response.status})",
                                    retry_after_s=after, **self._where(step))
        if response is not None and response.status == 429:
            raise RateLimited(f"the portal asks us to slow down ({response.status})", retry_after_s=after,
                              **self._where(step))
        if response is not None and response.status >= 500:
            raise PortalServerError(f"the portal answered {response.status}", status=response.status,
                                    **self._where(step))
        if self.common.pattern("login_path").search(urlsplit(url).path) and self.name != "login":
            raise SessionExpired("the portal sent us to log in again", **self._where(step))

    # -- elements -----------------------------------------------------------------------------
    def el(self, key: str) -> Locator:
        """The one element `key` names; `PortalChanged` naming file and key when it is not there.

        Pages are read once loaded, so one count usually settles it (one round trip to the
        browser, not two); anything but exactly one goes through `resolve`, which waits and names
        file and key.
        """
        locator = self.sel.get(self.page, key)
        if locator.count() == 1:
            return locator
        return self.sel.resolve(self.page, key)

    def act(self, key: str, action: Callable[[Locator], object]) -> None:
        """Do `action` on the element `key` names in one round trip to the browser (`el()` and then
        the action took three; docs/BENCHMARKS.md).

        Playwright's strict locators refuse several matches and wait for one; when the action
        fails, a count says whether the key matches no element or several (`PortalChanged`, as
        from `el()`), else the action's own error goes up.
        """
        locator = self.sel.get(self.page, key)
        try:
            action(locator)
        except PlaywrightError:
            count = locator.count()
            if count != 1:
                detail = "matches no element" if count == 0 else f"matches {count} elements"
                raise PortalChanged(self.sel.file, key, detail) from None
            raise

    def fill(self, key: str, value: str) -> None:
        """Type a value into a field (a no-op for an empty value)."""
        if value:
            self.act(key, lambda field: field.fill(value))

    def choose(self, key: str, value: str) -> None:
        """Select the option the portal shows for `value` of field `key`."""
        if value:
            label = self.sel.option(key, value)
            self.act(key, lambda field: field.select_option(label=label))

    def pick(self, key: str, value: str) -> None:
        """Check the radio button the portal shows for `value` inside group `key`."""
        if value:
            self.el(key).get_by_role("radio", name=self.sel.option(key, value), exact=True).check()

    def attach(self, key: str, files: Sequence[Path]) -> None:
        """Put real files into a file input (remembered by the input's name, for the final submit's body)."""
        if files:
            self.act(key, lambda field: self._set_files(field, key, files))

    def _set_files(self, field: Locator, key: str, files: Sequence[Path]) -> None:
        field.set_input_files(list(files))
        self.ctx.uploads[field.get_attribute("name") or key] = tuple(files)

    def human_check_present(self) -> bool:
        """Whether the page carries a check meant for a person (the slider)."""
        return self.common.get(self.page, "slider").count() > 0

    def hand_over_human_check(self, step: str) -> None:
        """Give the slider to the operator; `NeedsHuman` unless they completed it."""
        if self.human_check_present() and not self.ctx.pause("complete the slider check"):
            raise NeedsHuman("the portal shows a slider check meant for a person", **self._where(step))

    # -- clicks -------------------------------------------------------------------------------
    def click_and_wait(self, key: str, step: str) -> None:
        """Click something that loads a new page (not a submission) and check where we landed."""
        try:
            with self.page.expect_navigation(wait_until="domcontentloaded") as nav:
                self.el(key).click()
            response = nav.value
        except PlaywrightError as exc:
            raise self._convert(exc, step) from exc
        self.check_landing(response, step)
        self.raise_form_errors(step)

    def submit(self, key: str, step: str) -> None:
        """The final click of a submission (the button under selector `key`); see `submit_with`."""
        self.submit_with(self.el(key), step)

    def submit_with(self, button: Locator, step: str) -> None:
        """The final click of a submission, sent once by ippbot (`flows.send_once`). After it, only
        a confirmation page is success.

        Anything else (a dropped connection, a 5xx, a timeout, a bounce to log-in) leaves us
        unable to tell whether the portal stored it: `SubmitOutcomeUnknown`. Field errors shown
        by the portal are `PortalRejected` (it stored nothing and would say the same again).
        """
        try:  # read before the click: while the post is held, the page answers no script
            post = prepare(button, self.ctx.uploads) if self.ctx.send_once else None
        except (PlaywrightError, PortalError) as exc:
            raise self._convert(exc, step) from exc
        self.ctx.before_submit()  # the ledger commits "submitting" now, before the click
        if post is not None and not self.ctx.follow_post:
            self._send_and_lead(button, post, step)
        else:
            self._send_and_follow(button, post, step)
        self.raise_form_errors(step)

    def _send_and_lead(self, button: Locator, post: Post, step: str) -> None:
        """The click answered 204 while ippbot posts; then, its route gone, the page led to the portal's answer.

        What the click awaits is the answer to the main frame's navigation by post (a form's: one the route
        missed is the browser's own, and then the outcome is unknown), for twice the click's own timeout, so
        that a click the browser took late is still caught by the route. The truth is in `Sending`, not in that
        wait: leaving the route waits for its handler, so a wait that ran out while the post was under way
        still finds the answer there.
        """
        failure: BaseException | None = None
        timeout_ms = self.ctx.settings.timeout_ms
        with sending_once(self.page, post, timeout_ms, self.ctx.fence, hold=True) as sending:
            try:
                with self.page.expect_response(self._form_posted, timeout=2 * timeout_ms):
                    button.click()
                    self.ctx.after_click()
            except PlaywrightError as exc:
                failure = exc
        if sending.fenced is not None:  # nothing was sent: no outcome to look up
            raise sending.fenced
        if sending.answer is None:
            if not sending.sent and failure is None:
                self._posted_by_browser()
            cause = sending.error or failure or PortalError(
                "ippbot's post got no answer" if sending.sent else "the form's post went past ippbot's route")
            raise SubmitOutcomeUnknown(f"no confirmation after the submit: {_short(cause)}",
                                       **self._where(step)) from cause
        try:
            self.check_landing(lead(self.page, post, sending.answer), step)
        except (PlaywrightError, PortalError) as exc:
            raise SubmitOutcomeUnknown(f"no confirmation after the submit: {_short(exc)}",
                                       **self._where(step)) from exc

    def _form_posted(self, answer: Response) -> bool:
        """An answer to a form's post in this page's own frame (not a frame inside it)."""
        request = answer.request
        return request.method == "POST" and request.is_navigation_request() and answer.frame == self.page.main_frame

    def _send_and_follow(self, button: Locator, post: Post | None, step: str) -> None:
        """The click, the browser following the answer itself: to ippbot's post (`post`), or its own (a replay)."""
        with self._sending(post) as sending:
            try:
                self._click_and_land(button, step)
            except (PlaywrightError, PortalError) as exc:
                if isinstance(exc, PortalRejected):
                    raise
                if sending is not None and sending.fenced is not None:  # nothing was sent: no outcome to look up
                    raise sending.fenced from exc
                if sending is None and "net::ERR_" in str(exc):  # the browser's own post failed (a replay's)
                    await_error_page(self.page, self.ctx.settings.timeout_ms)  # before the look-up navigates
                cause = sending.error if sending and sending.error else exc
                raise SubmitOutcomeUnknown(f"no confirmation after the submit: {_short(cause)}",
                                           **self._where(step)) from cause
            if sending is not None and not sending.sent:  # the route missed: the browser posted (maybe twice)
                self._posted_by_browser()

    def _posted_by_browser(self) -> None:
        self.ctx.log.error("submit.posted_by_browser", entry=self.ctx.entry, url=self.page.url,
                           hint="ippbot's own post did not catch the form's post; check flows/send_once.py")

    def _sending(self, post: Post | None) -> AbstractContextManager[Sending | None]:
        """The final post sent once by ippbot (`flows.send_once`), or by the browser when there is none."""
        return nullcontext() if post is None else sending_once(self.page, post, self.ctx.settings.timeout_ms,
                                                                self.ctx.fence)

    def _click_and_land(self, button: Locator, step: str) -> None:
        with self.page.expect_navigation(wait_until="domcontentloaded") as nav:
            button.click()
            self.ctx.after_click()
        response = nav.value
        if response is None:  # an error page: the answer was cut off
            raise PortalServerError("the answer was cut off", **self._where(step))
        self.check_landing(response, step)

    def confirmation(self, read: Callable[[], str], step: str) -> str:
        """Read what a confirmation page shows (its reference) right after a submit.

        No confirmation where one must be means we cannot tell whether the portal stored the
        submission: `SubmitOutcomeUnknown`, so the caller reconciles instead of guessing.
        """
        try:
            return read()
        except PortalChanged as exc:
            raise SubmitOutcomeUnknown(f"no confirmation after the submit: {exc.message}",
                                       **self._where(step)) from exc

    # -- reading ------------------------------------------------------------------------------
    def shown_reference(self) -> str:
        """The reference number the page shows under key `reference`, in the form `patterns.reference` gives."""
        text = self.el("reference").inner_text()
        found = self.sel.pattern("reference").search(text)
        if not found:
            raise PortalChanged(self.sel.file, "patterns.reference", f"no reference in {text!r}")
        return found.group(0)

    def form_errors(self) -> dict[str, str]:
        """The portal's error summary as {field: message} (`form` when a message names no field)."""
        summary = self.common.get(self.page, "error_summary")
        errors: dict[str, str] = {}
        for item in summary.get_by_role("listitem").all():
            field = item.get_attribute("data-field") or "form"
            errors[field] = item.inner_text().strip()
        return errors

    def raise_form_errors(self, step: str) -> None:
        """`PortalRejected` with every field's message when the page shows form errors."""
        errors = self.form_errors()
        if errors:
            summary = "; ".join(errors.values())
            raise PortalRejected(f"the portal refused the form: {summary}", field_errors=errors,
                                 **self._where(step))

    def table(self, key: str) -> list[dict[str, str]]:
        """Read a table into rows keyed by our column names (from `[options.columns]`)."""
        table = self.el(key)
        headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
        wanted = self.sel.data.options.get("columns", {})
        index = {ours: headers.index(theirs) for ours, theirs in wanted.items() if theirs in headers}
        rows = []
        for cells in table.locator("tbody tr").evaluate_all(
                "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))"):
            rows.append({ours: cells[i] for ours, i in index.items() if i < len(cells)})
        return rows

    def status_code(self, field: str, label: str) -> str:
        """Our name for a status the portal shows as `label` (the label itself when unknown)."""
        for code, text in self.sel.data.options.get(field, {}).items():
            if text == label:
                return code
        return label

    # -- errors -------------------------------------------------------------------------------
    def _where(self, step: str) -> dict[str, str | None]:
        return {"entry": self.ctx.entry or None, "step": f"{self.name}.{step}", "url": self.page.url}

    def _convert(self, exc: BaseException, step: str) -> PortalError:
        return from_playwright(exc, **self._where(step))


def _seconds(text: str) -> float | None:
    return float(text) if re.fullmatch(r"\d+(\.\d+)?", text.strip()) else None


def _short(exc: BaseException) -> str:
    if isinstance(exc, PortalError):
        return exc.message
    return first_line(exc)
