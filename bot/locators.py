"""Locators: loads `selectors/<page>.toml` and turns each entry into a Playwright locator.

Selectors are data, so a portal change is a data change. Each file is one page; each key
names one element and describes how to find it, by exactly one kind::

    email = { label = "Email" }
    agree = { role = "button", name = "Agree and register", exact = true }
    notice = { text = "Verification code sent" }
    slider = { test_id = "captcha-slider" }
    search = { placeholder = "Search" }
    legacy = { css = "form#ipr .submit" }

Four reserved names carry the page's other portal facts: `url` (the page's path, with
`{placeholders}`), `[options.<field>]` (an option's value in the batch -> the label the
portal shows), `[patterns]` (regular expressions, e.g. the form of a reference number) and
`[expect]`, which tells `ippbot selectors check` what to expect of keys that show only in
some states of the page (every other key must match exactly one element)::

    [expect]
    optional = ["reference", "withdraw"]   # shown only in some states: no element or one
    either = [["table", "empty"]]          # exactly one of them, depending on the data
    in_rows = { accept = "listings" }      # one per row of table `listings` at most (as flows use it)

`name` goes with `role` only; `exact` with role, label, text and placeholder. Files are
checked when loaded: a malformed entry is a `ConfigError` naming the file and key. On a live
page, `PageSelectors.resolve` raises `PortalChanged` (file, key, what went wrong) when a key
matches no element or several.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast, get_args
from urllib.parse import quote

from playwright.sync_api import Frame, FrameLocator, Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bot.errors import ConfigError, PortalChanged
from bot.settings import REPO_ROOT

Kind = Literal["role", "label", "text", "test_id", "css", "placeholder"]
KINDS: tuple[Kind, ...] = get_args(Kind)
Scope = Page | Frame | Locator | FrameLocator
RESERVED = frozenset({"url", "options", "patterns", "expect"})

# The roles Playwright accepts, read from its own signature so they follow its version.
ARIA_ROLES = frozenset(get_args(inspect.signature(Page.get_by_role).parameters["role"].annotation))

# The options each kind takes besides its value.
_OPTIONS: dict[Kind, frozenset[str]] = {
    "role": frozenset({"name", "exact"}),
    "label": frozenset({"exact"}),
    "text": frozenset({"exact"}),
    "placeholder": frozenset({"exact"}),
    "test_id": frozenset(),
    "css": frozenset(),
}


@dataclass(frozen=True)
class LocatorSpec:
    """How to find one element: a kind, its value, and the options that kind takes."""

    kind: Kind
    value: str
    name: str | None = None
    exact: bool | None = None

    def locate(self, scope: Scope) -> Locator:
        """The Playwright locator for this description, inside `scope`."""
        if self.kind == "role":
            return scope.get_by_role(cast(Any, self.value), name=self.name, exact=self.exact)
        if self.kind == "label":
            return scope.get_by_label(self.value, exact=self.exact)
        if self.kind == "text":
            return scope.get_by_text(self.value, exact=self.exact)
        if self.kind == "placeholder":
            return scope.get_by_placeholder(self.value, exact=self.exact)
        if self.kind == "test_id":
            return scope.get_by_test_id(self.value)
        return scope.locator(self.value)

    def __str__(self) -> str:
        options = f", name={self.name!r}" if self.name is not None else ""
        options += f", exact={self.exact}" if self.exact is not None else ""
        return f"{self.kind}={self.value!r}{options}"


@dataclass(frozen=True)
class CheckRules:
    """What `selectors check` expects of keys that show only in some states (the `[expect]` table)."""

    optional: frozenset[str] = frozenset()
    either: tuple[tuple[str, ...], ...] = ()
    in_rows: Mapping[str, str] = field(default_factory=dict)

    def rule(self, key: str) -> str:
        """``optional``, ``either``, ``in_rows`` or ``one`` (the default: exactly one element)."""
        if key in self.optional:
            return "optional"
        if key in self.in_rows:
            return "in_rows"
        if any(key in group for group in self.either):
            return "either"
        return "one"


@dataclass(frozen=True)
class PageData:
    """A page's facts that are not locators: its path, option labels, text patterns, check expectations."""

    url: str = ""
    options: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    patterns: Mapping[str, str] = field(default_factory=dict)
    expect: CheckRules = field(default_factory=CheckRules)


class PageSelectors:
    """The selectors of one page (one TOML file)."""

    def __init__(self, name: str, file: str, specs: Mapping[str, LocatorSpec],
                 data: PageData | None = None) -> None:
        self.name = name
        self.file = file
        self.specs = dict(specs)
        self.data = data or PageData()

    def url(self, **params: str) -> str:
        """The page's path with its placeholders filled; `ConfigError` if the file has none."""
        if not self.data.url:
            raise ConfigError(f"{self.file}: no url")
        try:
            return self.data.url.format(**{k: quote(v, safe="") for k, v in params.items()})
        except KeyError as exc:
            raise ConfigError(f"{self.file}: url needs {exc}") from None

    def option(self, field: str, value: str) -> str:
        """The label the portal shows for `value` of `field`; `ConfigError` naming file and key."""
        try:
            return self.data.options[field][value]
        except KeyError:
            raise ConfigError(f"{self.file}: no option label for options.{field}.{value}") from None

    def pattern(self, name: str) -> re.Pattern[str]:
        """A compiled regular expression from `[patterns]`."""
        try:
            return re.compile(self.data.patterns[name])
        except KeyError:
            raise ConfigError(f"{self.file}: no pattern {name!r}") from None

    def spec(self, key: str) -> LocatorSpec:
        """The description under `key`; `ConfigError` naming file and key if there is none."""
        try:
            return self.specs[key]
        except KeyError:
            raise ConfigError(f"{self.file}: no selector {key!r}") from None

    def get(self, scope: Scope, key: str) -> Locator:
        """The locator for `key` inside `scope` (a page, frame or locator). Does not wait."""
        return self.spec(key).locate(scope)

    def resolve(self, scope: Scope, key: str, *, timeout_ms: float | None = None) -> Locator:
        """The locator for `key`, once it matches exactly one element.

        Waits up to `timeout_ms` (the context's default when None) for an element to be
        attached. Call it once the page has loaded, so that a miss means the page differs.
        Raises `PortalChanged` when it matches no element or several.
        """
        locator = self.get(scope, key)
        try:
            locator.first.wait_for(state="attached", timeout=timeout_ms)
        except PlaywrightTimeoutError:
            raise PortalChanged(self.file, key, "matches no element") from None
        count = locator.count()
        if count > 1:
            raise PortalChanged(self.file, key, f"matches {count} elements")
        return locator


class Selectors:
    """Every page's selectors, loaded from one folder of TOML files."""

    def __init__(self, pages: Mapping[str, PageSelectors]) -> None:
        self.pages = dict(pages)

    @classmethod
    def load(cls, directory: Path) -> Selectors:
        """Read and check every `*.toml` in `directory`; `ConfigError` on the first problem."""
        if not directory.is_dir():
            raise ConfigError(f"selectors folder {directory} does not exist")
        files = sorted(directory.glob("*.toml"))
        return cls({path.stem: _load_page(path) for path in files})

    def page(self, name: str) -> PageSelectors:
        """The selectors of page `name` (file `<name>.toml`); `ConfigError` if there is none."""
        try:
            return self.pages[name]
        except KeyError:
            raise ConfigError(f"no selector file for page {name!r}") from None

    def iter_all(self) -> Iterator[tuple[str, str, LocatorSpec]]:
        """Every (file, key, description), in file order then key order as written."""
        for page in self.pages.values():
            for key, spec in page.specs.items():
                yield page.file, key, spec


def _load_page(path: Path) -> PageSelectors:
    file = _display(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    page_data = _page_data(file, data)
    specs = {key: parse_entry(file, key, entry) for key, entry in data.items() if key not in RESERVED}
    expect = _expect_rules(file, data.get("expect", {}), set(specs))
    return PageSelectors(path.stem, file, specs, replace(page_data, expect=expect))


def _page_data(file: str, data: dict[str, Any]) -> PageData:
    url, options, patterns = data.get("url", ""), data.get("options", {}), data.get("patterns", {})
    if not isinstance(url, str):
        raise _bad(file, "url", "must be a string such as \"/ipr/submit?type={type}\"")
    tables_ok = isinstance(options, dict) and all(
        isinstance(v, dict) and all(isinstance(x, str) for x in v.values()) for v in options.values())
    if not tables_ok:
        raise _bad(file, "options", "must be tables of value = \"label\"")
    if not isinstance(patterns, dict) or not all(isinstance(v, str) for v in patterns.values()):
        raise _bad(file, "patterns", "must be a table of name = \"regex\"")
    for name, regex in patterns.items():
        try:
            re.compile(regex)
        except re.error as exc:
            raise _bad(file, f"patterns.{name}", f"not a regular expression: {exc}") from None
    return PageData(url, options, patterns)


def _expect_rules(file: str, table: object, keys: set[str]) -> CheckRules:
    """Read and check the `[expect]` table: every name it uses must be a key of the file."""
    if not isinstance(table, dict) or set(table) - {"optional", "either", "in_rows"}:
        raise _bad(file, "expect", "may hold only optional, either and in_rows")
    optional, either, in_rows = table.get("optional", []), table.get("either", []), table.get("in_rows", {})
    if not _str_list(optional):
        raise _bad(file, "expect.optional", 'must be a list of keys, e.g. ["empty"]')
    if not isinstance(either, list) or not all(_str_list(g) and len(g) > 1 for g in either):
        raise _bad(file, "expect.either", 'must be a list of groups of keys, e.g. [["table", "empty"]]')
    if not isinstance(in_rows, dict) or not _str_list(list(in_rows.values())):
        raise _bad(file, "expect.in_rows", 'must be a table of key = "table key"')
    named = [*optional, *(k for g in either for k in g), *in_rows, *in_rows.values()]
    unknown = sorted(set(named) - keys)
    if unknown:
        raise _bad(file, "expect", f"names no selector {', '.join(unknown)}")
    ruled = [*optional, *(k for g in either for k in g), *in_rows]
    if len(ruled) != len(set(ruled)):
        raise _bad(file, "expect", "a key may follow one rule only")
    return CheckRules(frozenset(optional), tuple(tuple(g) for g in either), dict(in_rows))


def _str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def parse_entry(file: str, key: str, entry: object) -> LocatorSpec:
    """Check one TOML entry and turn it into a `LocatorSpec`; `ConfigError` names file and key."""
    if not isinstance(entry, dict):
        raise _bad(file, key, 'expected a table such as { role = "button", name = "Submit" }')
    kinds = [kind for kind in KINDS if kind in entry]
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        raise _bad(file, key, f"needs exactly one of {', '.join(KINDS)} (found {found})")
    kind = kinds[0]
    unknown = sorted(set(entry) - {kind} - _OPTIONS[kind])
    if unknown:
        raise _bad(file, key, f"{', '.join(unknown)} cannot go with {kind}")
    problem = _value_problem(kind, entry)
    if problem:
        raise _bad(file, key, problem)
    return LocatorSpec(kind, entry[kind], entry.get("name"), entry.get("exact"))


def _value_problem(kind: Kind, entry: dict[str, Any]) -> str | None:
    value, name, exact = entry[kind], entry.get("name"), entry.get("exact")
    if not isinstance(value, str) or not value:
        return f"{kind} must be a non-empty string"
    if kind == "role" and value not in ARIA_ROLES:
        return f"{value!r} is not an ARIA role Playwright knows"
    if name is not None and not isinstance(name, str):
        return "name must be a string"
    if exact is not None and not isinstance(exact, bool):
        return "exact must be true or false"
    return None


def _bad(file: str, key: str, problem: str) -> ConfigError:
    return ConfigError(f"{file}: {key}: {problem}")


def _display(path: Path) -> str:
    """`selectors/register.toml` for the repository's own files, else the full path."""
    resolved = path.resolve()
    if resolved.is_relative_to(REPO_ROOT):
        return resolved.relative_to(REPO_ROOT).as_posix()
    return str(path)
