"""Batch: read YAML and CSV batch files into validated ledger entries, or name every problem.

Nothing is written here. `load_batches` reads the files an operator hands to `ippbot
enqueue` into raw entries, has `bot.store.validate` check them with the domain models and
the portal's own rules, and returns the entries to add, each with a stable key. If anything
is wrong it raises one `InputError` listing every problem of every file, one per line, each
naming the file, the entry and the field with the reason::

    batch.yaml: complaints[0].listings[2]: the domain evil.example is not taobao's (taobao.com)
    listings.csv: line 7, url: not a well-formed http(s) URL

YAML scalars are read as text (only `null` is special) and converted by the model's field
types, so `platform: 1688` is a platform, `registration_number: 0123` keeps its zero and
`registration_place: NO` stays Norway. A CSV's rows with the same IPR, platform, type,
reason, evidence and note are one complaint, each listing named by its own line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.errors import InputError
from bot.models import Entry, Kind
from bot.store.validate import (
    KnownLookup,
    Problem,
    _cross_problems,
    _entries,
    _hint,
    _Raw,
    _Valid,
    _validate,
)

SECTIONS = ("iprs", "complaints")
TOP_KEYS = ("account", *SECTIONS)
CSV_REQUIRED = ("ipr", "platform", "url", "reason")
CSV_COLUMNS = (*CSV_REQUIRED, "type", "evidence", "note")
CSV_GROUP_BY = ("ipr", "platform", "type", "reason", "evidence", "note")


def load_batch(path: Path, *, today: date | None = None) -> list[Entry]:
    """The entries of one batch file; `InputError` listing every problem if any."""
    return load_batches([path], today=today)


def load_batches(paths: Iterable[Path], *, today: date | None = None, known: KnownLookup | None = None,
                 account: str | None = None, default_account: str | None = None) -> list[Entry]:
    """The entries of several batch files, checked together (a CSV's complaints may rest on
    a YAML's IPRs). All or nothing: `InputError` listing every problem of every file.

    With `known` (`Ledger.known_iprs`, as `ippbot enqueue` passes it), a complaint whose IPR is in
    none of the files is checked against the ledger's IPRs and the portal's records instead, and
    an IPR known from none of them is a problem; without it, such a complaint is not checked.

    Each entry is filed by its file's `account:`, else by `account` (`--account`), else by the
    configured account (`Entry.account` None); naming `default_account` is naming none.
    """
    raws: list[_Raw] = []
    problems: list[Problem] = []
    for path in paths:
        found, bad = _read(path)
        raws += [_of_account(raw, account, default_account) for raw in found]
        problems += bad
    valid: list[_Valid] = []
    day = today or date.today()
    for raw in raws:
        model, bad = _validate(raw, day)
        problems += bad
        valid += [_Valid(raw, model)] if model is not None else []
    problems += _cross_problems(valid, known)
    entries, bad = _entries(valid)
    problems += bad
    if problems:
        raise _input_error(problems)
    return entries


def _of_account(raw: _Raw, account: str | None, default_account: str | None) -> _Raw:
    """The raw entry with the account that files it: its file's, else the call's; None for the configured one."""
    chosen = raw.account or (account.strip().lower() if account else None)
    return replace(raw, account=None if chosen == default_account else chosen)


def _input_error(problems: Sequence[Problem]) -> InputError:
    files = ", ".join(dict.fromkeys(p.file for p in problems))
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    lines = "\n".join(str(p) for p in problems)
    return InputError(f"bad batch input, {count} in {files}:\n{lines}")


# Reading files ------------------------------------------------------------------------


def _read(path: Path) -> tuple[list[_Raw], list[Problem]]:
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in {".yaml", ".yml", ".csv"}:
        return [], [Problem(name, "", "", "not a batch file: use .yaml, .yml or .csv")]
    try:
        text = path.read_text(encoding="utf-8-sig")
        base = path.parent.resolve()
    except UnicodeDecodeError:
        return [], [Problem(name, "", "", "not UTF-8 text")]
    except (OSError, ValueError) as exc:
        return [], [Problem(name, "", "", f"cannot be read: {exc}")]
    reader = _read_csv if suffix == ".csv" else _read_yaml
    return reader(text, name, base)


class _TextLoader(yaml.SafeLoader):
    """YAML's safe loader, reading every scalar but null as text."""


_KEEP_TAGS = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"}
_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in _KEEP_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _parse_yaml(text: str) -> Any:
    loader = _TextLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _read_yaml(text: str, name: str, base: Path) -> tuple[list[_Raw], list[Problem]]:
    try:
        doc = _parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        what = getattr(exc, "problem", None) or str(exc)
        return [], [Problem(name, where, "", f"not valid YAML: {what}")]
    if doc is None:
        return [], [Problem(name, "", "", "empty batch: no iprs and no complaints")]
    if not isinstance(doc, dict):
        return [], [Problem(name, "", "", "must be a mapping with lists iprs and/or complaints")]
    problems = [
        Problem(name, "", str(key), "unknown key; a batch has account, iprs, complaints" + _hint(key, TOP_KEYS))
        for key in doc
        if key not in TOP_KEYS
    ]
    account, bad_account = _file_account(doc.get("account"), name)
    problems += bad_account
    raws: list[_Raw] = []
    for section in SECTIONS:
        found, bad = _read_section(doc.get(section), section, name, base)
        raws += [replace(raw, account=account) for raw in found]
        problems += bad
    if not raws and not problems:
        problems.append(Problem(name, "", "", "empty batch: no iprs and no complaints"))
    return raws, problems


def _file_account(value: Any, name: str) -> tuple[str | None, list[Problem]]:
    """The file's `account:` (an email, lower-cased as the portal reads it), or None when it names none."""
    if value is None:
        return None, []
    if not isinstance(value, str) or "@" not in value or not value.strip():
        return None, [Problem(name, "", "account", f"must be the email of a portal account{_got_text(value)}")]
    return value.strip().lower(), []


def _got_text(value: Any) -> str:
    return f" (got {value!r})" if isinstance(value, str) else f" (got {_kind_of(value)})"


def _read_section(
    items: Any, section: str, name: str, base: Path
) -> tuple[list[_Raw], list[Problem]]:
    if items is None:
        return [], []
    if not isinstance(items, list):
        return [], [Problem(name, "", section, f"must be a list, got {_kind_of(items)}")]
    kind: Kind = "ipr" if section == "iprs" else "complaint"
    raws: list[_Raw] = []
    problems: list[Problem] = []
    for index, item in enumerate(items):
        entry = f"{section}[{index}]"
        if isinstance(item, dict):
            raws.append(_Raw(kind, name, base, entry, {str(k): v for k, v in item.items()}))
        else:
            why = f"must be a mapping of fields, got {_kind_of(item)}"
            problems.append(Problem(name, entry, "", why))
    return raws, problems


def _read_csv(text: str, name: str, base: Path) -> tuple[list[_Raw], list[Problem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(reader.line_num, cells) for cells in reader if any(c.strip() for c in cells)]
    except csv.Error as exc:
        return [], [Problem(name, f"line {reader.line_num}", "", f"not valid CSV: {exc}")]
    if not rows:
        return [], [Problem(name, "", "", "empty batch: no header and no rows")]
    header = [cell.strip().lower() for cell in rows[0][1]]
    problems = _header_problems(name, header)
    if problems:
        return [], problems
    groups: dict[tuple[str, ...], list[tuple[int, dict[str, str]]]] = {}
    for line, cells in rows[1:]:
        if len(cells) != len(header):
            why = f"has {len(cells)} cells, the header {len(header)}"
            problems.append(Problem(name, f"line {line}", "", why))
            continue
        row = {col: cell.strip() for col, cell in zip(header, cells, strict=True)}
        groups.setdefault(tuple(row.get(col, "") for col in CSV_GROUP_BY), []).append((line, row))
    if not groups and not problems:
        problems.append(Problem(name, "", "", "empty batch: a header but no rows"))
    return [_csv_complaint(name, base, members) for members in groups.values()], problems


def _header_problems(name: str, header: list[str]) -> list[Problem]:
    problems = [
        Problem(name, "line 1", col or "(blank)", "unknown column" + _hint(col, CSV_COLUMNS))
        for col in header
        if col not in CSV_COLUMNS
    ]
    problems += [
        Problem(name, "line 1", col, "column given twice")
        for col in dict.fromkeys(header)
        if col and header.count(col) > 1
    ]
    problems += [
        Problem(name, "line 1", col, "required column missing (needs ipr,platform,url,reason)")
        for col in CSV_REQUIRED
        if col not in header
    ]
    return problems


def _csv_complaint(name: str, base: Path, members: list[tuple[int, dict[str, str]]]) -> _Raw:
    lines = tuple(line for line, _ in members)
    first = members[0][1]
    data: dict[str, Any] = {col: first[col] for col in ("ipr", "platform", "reason")}
    data["listings"] = [row["url"] for _, row in members]
    data |= {col: first[col] for col in ("type", "note") if first.get(col)}
    evidence = [p.strip() for p in first.get("evidence", "").split(";") if p.strip()]
    data |= {"evidence": evidence} if evidence else {}
    return _Raw("complaint", name, base, f"line {lines[0]}", data, lines)


# Small helpers ------------------------------------------------------------------------


def _kind_of(value: object) -> str:
    return {list: "a list", dict: "a mapping", str: "text", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )
