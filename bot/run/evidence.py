"""Evidence: the one place that opens a run's browser contexts and pages, and records what they leave.

As pytest-playwright's artifacts recorder does, `Evidence.page` opens each entry's page with what
the settings ask for (a HAR with `--har`, a trace unless `--trace off`), and `keep` keeps what
pays: the confirmation screenshot of a new filing (full page), the trace when `--trace on` or the
entry failed (`retain-on-failure`), and the HAR, scrubbed of secrets as soon as the closing context
has written it (its pages are closed first, so that the HAR recorder cannot hang: `close`). Traces
and HARs hold page content: both are written 0600. What was kept is noted on the entry's
`EntryResult` as paths relative to the run's folder.

**A warm context.** Without `--har`, a run keeps one context (the stored session) for the whole
run of its account (`Evidence.warm`), and each entry gets a fresh page in it, closed after the
entry: a page per entry keeps memory flat over a night and entries apart (../shared/PERFORMANCE.md),
and the context keeps Chromium's HTTP cache (the stylesheet is fetched once a run, not once a page;
`bot.browser` blocks assets without a route, which would turn the cache off) and the session. A
log-in again on any page (`flows.guard.relogging`) renews the context's cookies and the stored
session file alike (`flows.session.login`). **With `--har`** each entry (and each look-up of an
entry in doubt) gets a context of its own, as before: a HAR covers a whole context and is written
when it closes, and a replay needs one per entry, so `--har` picks per-entry HARs over the warm
cache when the two conflict.

**Traces.** An entry's trace is a chunk of its context's trace: `tracing.start(title=key)` for the
first entry, `start_chunk(title=key)` for each next one, `stop_chunk` to keep it (to a path) or drop
it. `--trace retain-on-failure` (the default) records actions only and keeps a failed entry's chunk;
`--trace on` records DOM snapshots and screenshots too and keeps every chunk; `--trace off` records
nothing. With snapshots Playwright keeps a context's network log across its chunks, so a kept chunk
ends the trace and the next entry starts a new one: no trace holds another entry's requests. A chunk
an entry left unended (it was cut short) is dropped when its page closes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

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
    """Opens the contexts and pages of one run and keeps their evidence in the run's folder."""

    settings: Settings
    run_dir: RunDir
    _warm: BrowserContext | None = field(default=None, init=False, repr=False)  # the run's context (no --har)
    _tracing: bool = field(default=False, init=False)  # the warm context's trace is started
    _chunk: bool = field(default=False, init=False)  # an entry's chunk is recording

    @contextmanager
    def warm(self, browser: BrowserSession) -> Iterator[None]:
        """The run's one context for the block, every page of the run in it; none with `--har`."""
        if self.settings.har:
            yield
            return
        self._warm = browser.new_context(stored_session(self.settings.session_file))
        try:
            yield
        finally:
            context, self._warm, self._tracing = self._warm, None, False
            close(context)

    @contextmanager
    def page(self, browser: BrowserSession, key: str | None) -> Iterator[Page]:
        """A fresh page for `key`'s entry (None: the run's own reads, not traced), closed on leaving."""
        with self._context(browser, key) as context:
            page = browser.new_page(context)
            try:
                self._begin_chunk(context, key)
                yield page
            finally:
                try:
                    self._drop_chunk(context)
                finally:  # the entry's page, and any page it opened (a popup): the context is the run's
                    for opened in context.pages:
                        with contextlib.suppress(PlaywrightError):  # a crashed page, or the browser gone with a stop
                            opened.close()

    def keep(self, page: Page, result: EntryResult, failed: bool) -> None:
        """Keep the entry's screenshot and trace (call before its page closes); note them on `result`."""
        if not failed and not result.existing:
            path = self.run_dir.screenshot(result.key)
            page.screenshot(path=path, full_page=True)  # every listing of a 300-URL complaint, not the first screen
            result.screenshot = self.run_dir.relative(path)
        if self._chunk:
            kept = self.settings.trace == "on" or (self.settings.trace == "retain-on-failure" and failed)
            trace = self.run_dir.trace(result.key) if kept else None
            self._end_chunk(page.context, trace)
            if trace is not None:
                scrub_trace(trace)
                result.trace = self.run_dir.relative(trace)
        if self.settings.har:
            result.har = self.run_dir.relative(self.run_dir.har(result.key))

    @contextmanager
    def _context(self, browser: BrowserSession, key: str | None) -> Iterator[BrowserContext]:
        """The warm context, or (with `--har`) a fresh one with the stored session, recording `key`'s HAR."""
        if self._warm is not None:
            yield self._warm
            return
        har = self.run_dir.har(key) if key and self.settings.har else None
        context = browser.new_context(stored_session(self.settings.session_file), record_har_path=har)
        try:
            yield context
        finally:
            self._tracing = False
            try:
                close(context)
            finally:  # written as the context closed, even if closing failed: scrubbed before anything else
                if har is not None and har.exists():
                    scrub_har(har)

    def _begin_chunk(self, context: BrowserContext, key: str | None) -> None:
        """Start `key`'s chunk of the context's trace (the trace itself first, when it is not started)."""
        if key is None or self.settings.trace == "off":
            return
        if self._tracing and context is self._warm:
            context.tracing.start_chunk(title=key)
        else:
            full = self.settings.trace == "on"
            context.tracing.start(screenshots=full, snapshots=full, sources=False, title=key)
            self._tracing = context is self._warm
        self._chunk = True

    def _end_chunk(self, context: BrowserContext, path: Path | None) -> None:
        """End the entry's chunk: written to `path`, or dropped. A kept chunk ends the warm context's trace."""
        self._chunk = False
        context.tracing.stop_chunk(path=path)
        if path is not None and self._tracing:  # the next entry's trace starts afresh, with no network of this one
            self._tracing = False
            context.tracing.stop()

    def _drop_chunk(self, context: BrowserContext) -> None:
        """A chunk the entry left recording (cut short before `keep`): dropped, so the next entry can start its own."""
        if self._chunk:
            self._chunk = False
            with contextlib.suppress(PlaywrightError):  # the context gone with a stop: its trace went with it
                context.tracing.stop_chunk()


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
