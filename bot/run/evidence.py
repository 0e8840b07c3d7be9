"""Evidence: the one place that records what an entry's browser context leaves (traces, HARs, screenshots).

As pytest-playwright's artifacts recorder does, `Evidence.context` opens the entry's context with
what the settings ask for (a HAR with `--har`, a trace unless `--trace off`), and on leaving keeps
what pays: the confirmation screenshot of a new filing, the trace when `--trace on` or the entry
failed (`retain-on-failure`), and the HAR, scrubbed of secrets as soon as the closing context has
written it (its pages are closed first, so that the HAR recorder cannot hang: `close`). Traces
and HARs hold page content: both are written 0600. What was kept is noted on the entry's
`EntryResult` as paths relative to the run's folder.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from bot.browser import BrowserSession
from bot.run.artifacts import EntryResult, RunDir
from bot.run.har import scrub_har
from bot.run.tracefile import scrub_trace
from bot.settings import Settings
from flows.session import stored_session


@dataclass
class Evidence:
    """Opens the contexts of one run and keeps their evidence in the run's folder."""

    settings: Settings
    run_dir: RunDir

    @contextmanager
    def context(self, browser: BrowserSession, key: str | None) -> Iterator[BrowserContext]:
        """A fresh context with the stored session, recording what the settings ask for `key`'s entry."""
        har = self.run_dir.har(key) if key and self.settings.har else None
        context = browser.new_context(stored_session(self.settings.session_file), record_har_path=har)
        try:
            if key and self.settings.trace != "off":
                full = self.settings.trace == "on"
                context.tracing.start(screenshots=full, snapshots=full, sources=False, title=key)
            yield context
        finally:
            try:
                close(context)
            finally:  # written as the context closed, even if closing failed: scrubbed before anything else
                if har is not None and har.exists():
                    scrub_har(har)

    def keep(self, context: BrowserContext, page: Page, result: EntryResult, failed: bool) -> None:
        """Keep the entry's screenshot and trace (call before the context closes); note them on `result`."""
        if not failed and not result.existing:
            path = self.run_dir.screenshot(result.key)
            page.screenshot(path=path, full_page=True)  # every listing of a 300-URL complaint, not the first screen
            result.screenshot = self.run_dir.relative(path)
        if self.settings.trace == "on" or (self.settings.trace == "retain-on-failure" and failed):
            path = self.run_dir.trace(result.key)
            context.tracing.stop(path=path)
            scrub_trace(path)
            result.trace = self.run_dir.relative(path)
        elif self.settings.trace != "off":
            context.tracing.stop()
        if self.settings.har:
            result.har = self.run_dir.relative(self.run_dir.har(result.key))


def close(context: BrowserContext) -> None:
    """Close the context's pages, then the context, so that a HAR recorder cannot wait for ever on closing.

    Playwright's HAR recorder (1.65), on closing the context, first waits for what it still works
    out about each response; each of those waits also ends when the response's page closes. One
    waits for the encoded body size, with -1 as its marker for "not known yet". For an answer a
    route fulfilled (ippbot's own final post, `flows.send_once`), Playwright works that size out as
    Chromium's byte count minus its own estimate of the headers, which can come to exactly -1: then
    the wait never ends and `context.close()` hangs (issue #10; the portal's 502 "Bad gateway" did
    it, as does a 5-byte body with a bare content-type, tests/reliability/test_har_send_once.py).
    Closed pages end those waits; the HAR keeps every entry and body (that one without its
    `compression` figure).
    """
    try:
        for page in context.pages:
            with contextlib.suppress(PlaywrightError):  # a crashed page: the context still closes
                page.close()
    finally:
        context.close()
