"""Selectors check: visits every portal page `selectors/` describes and counts what each key matches.

The service behind `ippbot selectors check`. It logs in (the stored session, or afresh),
reads what the account has (its IPRs and complaints), then visits each selector file's
page: its `url` with the placeholders filled from that data (`ipr_form` once per IPR type,
lists with an empty query, a complaint's page with one of its complaints). The check page
of a complaint has no URL of its own: it is reached by sending one listing of an existing
complaint for verification again, which files nothing (the final submit is never clicked).
`common.toml` is checked on every page visited.

Every key must match exactly one element, except those its file's `[expect]` table names
(`bot.locators`): optional keys match none or one, `either` groups exactly one of their
keys, `in_rows` keys at most one per row of their table. A page that needs data the
account does not have (or that the portal would not show) is reported as not checked,
with what it needs, never skipped in silence.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import get_args
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from pydantic import ValidationError

from bot.errors import PortalError, first_line
from bot.locators import PageSelectors
from bot.models import Complaint, IprType
from bot.run.contexts import command_flow
from bot.run.preflight import check_portal
from bot.settings import Settings
from flows.context import FlowContext
from flows.pages.complaint import ComplaintDetail, ComplaintForm, History
from flows.pages.ipr import IprManage
from flows.session import ensure_session, stored_session

# What a page needs when the portal sends us elsewhere, for the report.
NEEDS = {"verify": "an account waiting for its emailed code"}
# Which of the account's records fills a page's {ref}.
REF_SOURCES = {"ipr_confirmation": "iprs", "complaint_detail": "complaints"}
RECORD_NAMES = {"iprs": "an IPR", "complaints": "a complaint"}
MAX_LISTED_PAGES = 3


@dataclass(frozen=True)
class KeyResult:
    """The verdict on one key (or one `either` group) of one selector file."""

    file: str
    key: str
    problem: str | None = None
    keys: int = 1  # how many keys the verdict covers (an `either` group covers several)

    @property
    def ok(self) -> bool:
        """Whether the key matched as expected on the pages visited."""
        return self.problem is None


@dataclass
class CheckReport:
    """Every checked key's verdict, and the files that could not be checked, with why."""

    portal_url: str
    results: list[KeyResult] = field(default_factory=list)
    not_checked: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every checked key matched as expected."""
        return all(r.ok for r in self.results)

    def broken(self) -> list[KeyResult]:
        """The keys that matched no element or several where that is wrong."""
        return [r for r in self.results if not r.ok]

    def lines(self) -> list[str]:
        """The report as the command prints it: files in order, problems named by file and key."""
        out = [f"selectors check against {self.portal_url}"]
        files = dict.fromkeys([r.file for r in self.results] + list(self.not_checked))
        for file in sorted(files):
            out += self._file_lines(file)
        checked, broken = _keys(self.results), _keys(self.broken())
        out.append(f"{checked} keys checked: {checked - broken} ok, {broken} broken; "
                   f"{_plural(len(self.not_checked), 'file')} not checked")
        return out

    def _file_lines(self, file: str) -> list[str]:
        if file in self.not_checked:
            return [f"not checked  {file}: {self.not_checked[file]}"]
        mine = [r for r in self.results if r.file == file]
        bad = [f"BROKEN       {file}: {r.key}: {r.problem}" for r in mine if not r.ok]
        return bad or [f"ok           {file} ({_plural(_keys(mine), 'key')})"]


@dataclass
class AccountData:
    """What the account has on the portal, to fill the pages' placeholders; `missing` says why not."""

    iprs: list[str] = field(default_factory=list)
    complaints: list[dict[str, str]] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Visit:
    """One page to look at: `go` takes the browser there, or says why it cannot."""

    page: str
    label: str
    go: Callable[[], str | None]


def check_selectors(settings: Settings) -> CheckReport:
    """Check every selector file in the configured folder against the live portal."""
    check_portal(settings)
    stored = stored_session(settings.session_file)
    with command_flow(settings, "selectors-check", storage_state=stored, logger="ippbot.selectors") as ctx:
        data = _account_data(ctx)
        visits, report = _plan(ctx, data)
        counts, unreachable = _visit_all(ctx, visits)
    for name, page in ctx.selectors.pages.items():
        if name in counts:
            report.results += judge(page, counts[name])
        else:
            why = report.not_checked.pop(name, None) or unreachable.get(name, "no page was visited")
            report.not_checked[page.file] = why
    return report


# -- what the account has --------------------------------------------------------------------
def _account_data(ctx: FlowContext) -> AccountData:
    data = AccountData()
    try:
        ensure_session(ctx)
    except PortalError as exc:
        data.missing["login"] = f"log-in failed: {exc.message}"
        return data
    try:
        data.iprs = [row.reference for row in IprManage(ctx).search("")]
    except PortalError as exc:
        data.missing["iprs"] = f"could not read IPR management: {exc.message}"
    try:
        data.complaints = History(ctx).search("")
    except PortalError as exc:
        data.missing["complaints"] = f"could not read the complaint history: {exc.message}"
    return data


# -- which pages to visit --------------------------------------------------------------------
def _plan(ctx: FlowContext, data: AccountData) -> tuple[list[Visit], CheckReport]:
    report = CheckReport(portal_url=ctx.settings.portal_url)
    visits: list[Visit] = []
    for name, page in ctx.selectors.pages.items():
        if name == "common":
            continue
        found = _visits_of(ctx, data, name, page)
        if isinstance(found, str):
            report.not_checked[name] = found
        else:
            visits += found
    return visits, report


def _visits_of(ctx: FlowContext, data: AccountData, name: str, page: PageSelectors) -> list[Visit] | str:
    """The visits that show this page, or why there can be none."""
    if name == "complaint_check" and not page.data.url:
        return _check_page_visit(ctx, data)
    if not page.data.url:
        return "needs a url in the file (the check knows no other way to this page)"
    values = _placeholder_values(ctx, data, name, page.data.url)
    if isinstance(values, str):
        return values
    return [_url_visit(ctx, name, page.url(**params)) for params in values]


def _placeholder_values(ctx: FlowContext, data: AccountData, name: str, url: str) -> list[dict[str, str]] | str:
    fields = [f for _, f, _, _ in string.Formatter().parse(url) if f]
    combos: list[dict[str, str]] = [{}]
    for placeholder in fields:
        options = _options_for(ctx, data, name, placeholder)
        if isinstance(options, str):
            return options
        combos = [{**combo, placeholder: value} for combo in combos for value in options]
    return combos


def _options_for(ctx: FlowContext, data: AccountData, name: str, placeholder: str) -> list[str] | str:
    if placeholder == "type":
        return list(get_args(IprType))
    if placeholder == "q":
        return [""]
    if placeholder == "email":
        return [ctx.settings.email]
    source = REF_SOURCES.get(name) if placeholder == "ref" else None
    if source is None:
        return f"needs a value for {{{placeholder}}} in its url"
    refs = data.iprs if source == "iprs" else [row["reference"] for row in data.complaints]
    if refs:
        return refs[:1]
    why = data.missing.get("login") or data.missing.get(source)
    return f"needs {RECORD_NAMES[source]} on the account" + (f" ({why})" if why else "")


def _url_visit(ctx: FlowContext, name: str, path: str) -> Visit:
    def go() -> str | None:
        return _goto(ctx, path, NEEDS.get(name))

    return Visit(name, path, go)


def _goto(ctx: FlowContext, path: str, needs: str | None) -> str | None:
    try:
        response = ctx.page.goto(ctx.base_url + path, wait_until="load")
    except PlaywrightError as exc:
        return f"could not open {path}: {first_line(exc)}"
    landed = urlsplit(ctx.page.url).path
    if landed != urlsplit(path).path:
        if ctx.selectors.page("common").pattern("login_path").search(landed):
            needs = needs or "a logged-in session"
        return f"needs {needs} (the portal sent us to {landed})" if needs else f"the portal sent us to {landed}"
    if response is not None and response.status >= 400:
        return f"the portal answered {response.status} at {path}"
    return None


def _check_page_visit(ctx: FlowContext, data: AccountData) -> list[Visit] | str:
    """A complaint's check page, reached by verifying one listing of a complaint again (nothing filed)."""
    if not data.complaints:
        why = data.missing.get("login") or data.missing.get("complaints")
        return "needs a complaint on the account" + (f" ({why})" if why else "")
    row = data.complaints[0]

    def go() -> str | None:
        try:
            _send_for_verification(ctx, row)
        except (PortalError, ValidationError) as exc:
            return f"could not reach it from complaint {row['reference']}: {_message(exc)}"
        return None

    return [Visit("complaint_check", f"the check of a listing of {row['reference']}", go)]


def _send_for_verification(ctx: FlowContext, row: dict[str, str]) -> None:
    filed = ComplaintDetail(ctx).read(row["reference"])
    number = ctx.selectors.page("history").pattern("registration_number").search(row.get("ipr", ""))
    form = ComplaintForm(ctx)
    complaint = Complaint.model_validate({
        "platform": form.status_code("platform", row.get("platform", "")), "reason": "other",
        "ipr": number.group("number") if number else "", "listings": [li.url for li in filed.listings[:1]]})
    form.open()
    form.fill_complaint(complaint)
    form.submit_and_verify()


# -- counting ----------------------------------------------------------------------------------
Counts = dict[str, list[tuple[str, int]]]  # key -> (page label, elements matched) per visit


def _visit_all(ctx: FlowContext, visits: list[Visit]) -> tuple[dict[str, Counts], dict[str, str]]:
    counts: dict[str, Counts] = {}
    unreachable: dict[str, str] = {}
    for visit in visits:
        problem = visit.go()
        if problem is not None:
            unreachable.setdefault(visit.page, problem)
            continue
        for name in (visit.page, "common"):
            page = ctx.selectors.page(name)
            into = counts.setdefault(name, {})
            for key, count in _count_keys(ctx, page):
                into.setdefault(key, []).append((visit.label, count))
    return counts, unreachable


def _count_keys(ctx: FlowContext, page: PageSelectors) -> Iterator[tuple[str, int]]:
    rows_of = page.data.expect.in_rows
    for key in page.specs:
        if key in rows_of:
            rows = page.get(ctx.page, rows_of[key]).locator("tbody tr").all()
            yield key, max((page.get(row, key).count() for row in rows), default=0)
        else:
            yield key, page.get(ctx.page, key).count()


# -- judging -------------------------------------------------------------------------------------
def judge(page: PageSelectors, counts: Counts) -> list[KeyResult]:
    """Each key's verdict from what it matched on every visit of its page (see the module's rules)."""
    expect = page.data.expect
    grouped = {key for group in expect.either for key in group}
    results = [KeyResult(page.file, key, _problem(expect.rule(key), seen, expect.in_rows.get(key)))
               for key, seen in counts.items() if key not in grouped]
    for group in (g for g in expect.either if all(key in counts for key in g)):
        results.append(KeyResult(page.file, ", ".join(group), _group_problem(group, counts), keys=len(group)))
    return results


def _problem(rule: str, seen: list[tuple[str, int]], table: str | None) -> str | None:
    top = max(count for _, count in seen)
    if top > 1:
        where = next(label for label, count in seen if count == top)
        inside = f" in one row of {table}" if table else ""
        return f"matches {top} elements{inside} on {where}"
    if rule == "one" and top == 0:
        return f"matches no element on {_pages([label for label, _ in seen])}"
    return None


def _group_problem(group: tuple[str, ...], counts: Counts) -> str | None:
    visits = len(counts[group[0]])
    for i in range(visits):
        matched = {key: counts[key][i][1] for key in group}
        if sorted(matched.values()) != [0] * (len(group) - 1) + [1]:
            found = ", ".join(f"{key} {_elements(n)}" for key, n in matched.items())
            return f"expected exactly one of them to match one element on {counts[group[0]][i][0]}; {found}"
    return None


def _pages(labels: list[str]) -> str:
    if len(labels) == 1:
        return labels[0]
    shown = ", ".join(labels[:MAX_LISTED_PAGES]) + (", ..." if len(labels) > MAX_LISTED_PAGES else "")
    return f"any of {len(labels)} pages ({shown})"


def _elements(n: int) -> str:
    return "matches no element" if n == 0 else f"matches {_plural(n, 'element')}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _keys(results: list[KeyResult]) -> int:
    return sum(r.keys for r in results)


def _message(exc: BaseException) -> str:
    if isinstance(exc, PortalError):
        return exc.message
    return first_line(exc)
