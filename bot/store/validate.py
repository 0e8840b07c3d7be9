"""Validate: the rules a batch entry must pass, per field, per entry and across entries, each as a `Problem`.

`bot.store.batch` reads files into raw entries (`_Raw`); this module checks them with the
domain models and the portal's own rules and makes the ledger's entries. Nothing is read
from a batch file here, only the documents and evidence it names.

Portal rules are checked here so a night's run does not fail on them at 3 a.m.: the listing
URL's domain against its marketplace, duplicate URLs in a complaint, expiry dates already
past, document and evidence files (present, PDF/JPG/PNG with matching content, at most
5 MB, paths relative to the batch file), the reason valid for the IPR's type, Taobao, Tmall
and 1688 only with an IPR registered in CN, `counterfeit` needing evidence and `other` a
note, each listing an item page (or a store page for a store-front complaint) of its
marketplace (`bot.store.listing_urls`). Rules that need the IPR apply when it is in the same
`load_batches` call, else, given a `KnownLookup` (`Ledger.known_iprs`), against the ledger's IPR
entries and the portal's records `ippbot sync` kept, also refusing an expired IPR or one known
from none of them. A complaint of more than 300 listings becomes several (`Complaint.chunks`).

Keys: a correction's `corrects` (the entry it replaces), else the entry's explicit `key`, else
its content: `Ipr.identity` for an IPR, a hash of platform, IPR, type, reason and the sorted URLs
for each complaint chunk. Listings are sorted before splitting, so the same URLs give the same
chunks in any order, and enqueuing a file twice adds nothing. Two entries of one call with the
same key are a problem, not a merge.

Field rules apply once an entry's fields parse, so a second round may find more; entries
never hide each other's problems. The leading underscores mark names for `bot.store` alone.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from bot.models import CHINA_ONLY, REASONS_BY_TYPE, TYPE_FIELDS, Complaint, Entry, Ipr, Kind, KnownIpr
from bot.store.listing_urls import listing_problem

Loc = tuple[str | int, ...]
# What the ledger and the portal's records know of one account's IPRs under each of some numbers (or
# keys): `Ledger.known_iprs`, for (account, numbers); the account is None when the call names none.
KnownLookup = Callable[[str | None, set[str]], Mapping[str, Sequence[KnownIpr]]]

MAX_FILE_BYTES = 5 * 1024 * 1024
FILE_MAGIC: dict[str, bytes] = {
    ".pdf": b"%PDF-",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
}
ALL_REASONS: frozenset[str] = frozenset().union(*REASONS_BY_TYPE.values())
LIST_FIELDS = frozenset({"documents", "evidence", "listings", "classes"})
_BOOL = TypeAdapter(bool)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a batch: where (file, entry, field) and why."""

    file: str
    entry: str
    field: str
    reason: str

    def __str__(self) -> str:
        joiner = "." if self.entry.endswith("]") else ", "
        where = joiner.join(part for part in (self.entry, self.field) if part)
        return f"{self.file}: {where}: {self.reason}" if where else f"{self.file}: {self.reason}"


@dataclass(frozen=True)
class _Raw:
    """One entry as read from a file, before validation, and how to name its parts."""

    kind: Kind
    file: str
    base: Path
    entry: str  # "iprs[3]" or "line 7"
    data: dict[str, Any]
    lines: tuple[int, ...] = ()  # CSV: the line of each listing, in order
    account: str | None = None  # the account that files it: the file's `account:`, else the enqueue's

    @property
    def source(self) -> str:
        return f"{self.file}:{self.entry}"

    def listing_name(self, index: int) -> str:
        """How the operator finds listing `index`: its line in a CSV, its index in YAML."""
        return f"line {self.lines[index]}" if self.lines else f"listings[{index}]"

    def problem(self, loc: Loc, reason: str) -> Problem:
        """A problem at `loc` inside this entry (a CSV listing is named by its own line)."""
        if self.lines and loc and loc[0] == "listings":
            index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
            line = self.lines[index] if index < len(self.lines) else self.lines[0]
            return Problem(self.file, f"line {line}", "url", reason)
        return Problem(self.file, self.entry, _dotted(loc), reason)


@dataclass(frozen=True)
class _Valid:
    raw: _Raw
    model: Ipr | Complaint


# One entry ----------------------------------------------------------------------------


def _validate(raw: _Raw, today: date) -> tuple[Ipr | Complaint | None, list[Problem]]:
    data = {k: [v] if k in LIST_FIELDS and isinstance(v, str) else v for k, v in raw.data.items()}
    model_type: type[Ipr] | type[Complaint] = Ipr if raw.kind == "ipr" else Complaint
    try:
        model = model_type.model_validate(data)
    except ValidationError as exc:
        return None, _describe(raw, exc)
    if isinstance(model, Ipr):
        model = model.model_copy(update=_resolved_ipr_files(model, raw.base))
        problems = _ipr_problems(raw, model, today)
    else:
        model = model.model_copy(update={"evidence": _resolved(model.evidence, raw.base)})
        problems = _complaint_problems(raw, model)
    return (None if problems else model), problems


def _describe(raw: _Raw, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        if error["loc"]:
            problems.append(raw.problem(error["loc"], _field_reason(raw.kind, error)))
        else:
            problems += _root_problems(raw, error["msg"])
    return problems


def _field_reason(kind: Kind, error: ErrorDetails) -> str:
    loc, kind_of_error = error["loc"], error["type"]
    if kind_of_error == "extra_forbidden":
        fields = (Ipr if kind == "ipr" else Complaint).model_fields
        return "unknown field" + _hint(str(loc[-1]), fields)
    if kind_of_error == "missing":
        return "required"
    if loc[0] == "classes" and len(loc) > 1:
        return f"not a Nice class (1-45): {error['input']!r}"
    return error["msg"].removeprefix("Value error, ") + _got(error.get("input"))


def _root_problems(raw: _Raw, message: str) -> list[Problem]:
    """Name the fields behind a whole-model error (fields all parsed, so the raw is usable)."""
    data = raw.data
    ipr_type = str(data.get("type", "")).strip()
    needs = [(name, f"required for type {ipr_type}") for name in TYPE_FIELDS.get(ipr_type, ())]
    if _registered(data.get("registered", True)):
        needs.append(("registration_number", "required for a registered right"))
    needs.append(("documents", "at least one file (the certificate) is required"))
    found = [raw.problem((name,), why) for name, why in needs if _blank(data.get(name))]
    return found or [raw.problem((), message.removeprefix("Value error, "))]


def _registered(value: object) -> bool:
    try:
        return bool(_BOOL.validate_python(value))
    except ValidationError:
        return True


def _resolved(paths: tuple[Path, ...], base: Path) -> tuple[Path, ...]:
    """Absolute paths, relative ones taken from the batch file's folder (`..` folded)."""
    return tuple(Path(os.path.normpath(base / path)) for path in paths)


def _resolved_ipr_files(ipr: Ipr, base: Path) -> dict[str, Any]:
    update: dict[str, Any] = {"documents": _resolved(ipr.documents, base)}
    if ipr.power_of_attorney is not None:
        update["power_of_attorney"] = _resolved((ipr.power_of_attorney,), base)[0]
    return update


def _ipr_problems(raw: _Raw, ipr: Ipr, today: date) -> list[Problem]:
    problems = [raw.problem(loc, why) for loc, why in _date_problems(ipr, today)]
    files: list[tuple[Loc, Path]] = [(("documents", i), p) for i, p in enumerate(ipr.documents)]
    files += [(("power_of_attorney",), ipr.power_of_attorney)] if ipr.power_of_attorney else []
    for loc, path in files:
        why = _file_problem(path)
        problems += [raw.problem(loc, why)] if why else []
    return problems


def _date_problems(ipr: Ipr, today: date) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = []
    for name in ("expiration_date", "valid_to"):
        value: date | None = getattr(ipr, name)
        if value is not None and value < today:
            found.append(((name,), f"{value} is past: the portal's review would reject this IPR"))
    if ipr.valid_from and ipr.valid_to and ipr.valid_from > ipr.valid_to:
        found.append((("valid_from",), f"{ipr.valid_from} is after valid_to {ipr.valid_to}"))
    return found


def _complaint_problems(raw: _Raw, complaint: Complaint) -> list[Problem]:
    problems = [raw.problem(loc, why) for loc, why in _listing_problems(raw, complaint)]
    for index, path in enumerate(complaint.evidence):
        why = _file_problem(path)
        problems += [raw.problem(("evidence", index), why)] if why else []
    if complaint.reason not in ALL_REASONS:
        known = ", ".join(sorted(ALL_REASONS))
        why = f"unknown reason {complaint.reason!r}; known: {known}"
        problems.append(raw.problem(("reason",), why))
    if complaint.reason == "counterfeit" and not complaint.evidence:
        why = "a counterfeit complaint needs evidence (a comparison)"
        problems.append(raw.problem(("evidence",), why))
    if complaint.reason == "other" and not complaint.note:
        problems.append(raw.problem(("note",), "reason 'other' needs the infringement explained"))
    return problems


def _listing_problems(raw: _Raw, complaint: Complaint) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = []
    seen: dict[str, int] = {}
    for index, url in enumerate(complaint.listings):
        normal = url.rstrip("/").lower()
        if normal in seen:  # the portal's check page says so first, as here
            why: str | None = f"duplicate of {raw.listing_name(seen[normal])} in this complaint"
        else:
            why = listing_problem(complaint.platform, complaint.type, url)
        seen.setdefault(normal, index)
        found += [(("listings", index), why)] if why else []
    return found


def _file_problem(path: Path) -> str | None:
    """Why the portal would refuse this upload (missing, type, size, content), or None."""
    try:
        if not path.is_file():
            return f"file not found: {path}"
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except (OSError, ValueError) as exc:
        return f"cannot read {path}: {exc}"
    magic = FILE_MAGIC.get(path.suffix.lower())
    if magic is None:
        return f"{path.name}: only PDF, JPG or PNG files are accepted"
    if size == 0 or size > MAX_FILE_BYTES:
        return f"{path.name} is {size:,} bytes; the portal takes 1 byte to 5 MB"
    if not head.startswith(magic):
        return f"{path.name} is not really a {path.suffix.lower()} file; the portal cannot read it"
    return None


# Across entries, and the entries themselves --------------------------------------------


def _cross_problems(valid: list[_Valid], known: KnownLookup | None) -> list[Problem]:
    """Rules that need a complaint's IPR: from the batch, else (with `known`) from the ledger or the portal."""
    iprs = _iprs_by_number(valid)
    complaints = [(item.raw, item.model) for item in valid if isinstance(item.model, Complaint)]
    problems: list[Problem] = []
    for account in dict.fromkeys(raw.account for raw, _ in complaints):
        mine = [(raw, c) for raw, c in complaints if raw.account == account]
        elsewhere = {c.ipr for _, c in mine if (account, c.ipr) not in iprs}
        found = known(account, elsewhere) if known is not None and elsewhere else {}
        for raw, complaint in mine:
            in_batch = iprs.get((account, complaint.ipr))
            fits = [_fit_problems(complaint, _as_known(in_batch[1]))] if in_batch else \
                [_fit_problems(complaint, record) for record in found.get(complaint.ipr, ())]
            if not fits and known is not None:
                fits = [[(("ipr",), _unknown_ipr(raw, complaint.ipr, iprs))]]
            if fits and all(fits):  # every record ippbot knows under that number refuses it: say why the first does
                problems += [raw.problem(loc, why) for loc, why in fits[0]]
    return problems


def _unknown_ipr(raw: _Raw, number: str, iprs: Mapping[tuple[str | None, str], tuple[_Raw, Ipr]]) -> str:
    """Why a complaint's IPR is not known: another account files it, or nobody does."""
    for (account, handle), (other, _) in iprs.items():
        if handle == number and account != raw.account:
            return (f"IPR {number} is filed on account {_named(account)} ({other.source}), this complaint on "
                    f"{_named(raw.account)}: a complaint rests on an IPR of its own account")
    return (f"IPR {number!r} is in no batch of this call, not in the ledger and not in the portal's records "
            "that ippbot sync keeps; add the IPR to the batch, or if it was filed by hand, run ippbot sync")


def _named(account: str | None) -> str:
    return account or "the configured account (IPPBOT_EMAIL)"


def _iprs_by_number(valid: list[_Valid]) -> dict[tuple[str | None, str], tuple[_Raw, Ipr]]:
    """The batch's IPRs by account and each name a complaint may give them: the registration number,
    the entry key, or for a right without a number (an unregistered work) its name."""
    found: dict[tuple[str | None, str], tuple[_Raw, Ipr]] = {}
    for item in valid:
        if isinstance(item.model, Ipr):
            ipr = item.model
            handles = (ipr.registration_number, ipr.corrects, ipr.key, ipr.identity,
                       "" if ipr.registration_number else ipr.name)
            for handle in handles:
                if handle:
                    found.setdefault((item.raw.account, handle), (item.raw, ipr))
    return found


def _as_known(ipr: Ipr) -> KnownIpr:
    """A batch's IPR as the rules see a known one (its own dates are checked as an entry)."""
    return KnownIpr(number=ipr.registration_number or ipr.name, where="",
                    type=ipr.type, registration_place=ipr.registration_place)


def _fit_problems(complaint: Complaint, ipr: KnownIpr) -> list[tuple[Loc, str]]:
    """Why this complaint cannot rest on this IPR: its reason, its marketplace, the IPR's expiry."""
    found: list[tuple[Loc, str]] = []
    named = f"IPR {ipr.number}" + (f" ({ipr.where})" if ipr.where else "")
    if ipr.expired:
        found.append((("ipr",), f"{named} has expired: the portal refuses a complaint on it; renew it first"))
    allowed = REASONS_BY_TYPE.get(ipr.type or "", ALL_REASONS)
    if complaint.reason in ALL_REASONS and complaint.reason not in allowed:
        use = ", ".join(sorted(allowed))
        why = f"{complaint.reason!r} is not a reason for a {ipr.type}; use {use}"
        found.append((("reason",), why + (f" ({named} is a {ipr.type})" if ipr.where else "")))
    if complaint.platform in CHINA_ONLY and ipr.registration_place not in (None, "CN"):
        why = (f"{complaint.platform} accepts only IPRs registered in CN; "
               f"{named} is registered in {ipr.registration_place}")
        found.append((("platform",), why))
    return found


def _entries(valid: list[_Valid]) -> tuple[list[Entry], list[Problem]]:
    iprs = _iprs_by_number(valid)
    made: list[tuple[_Raw, Entry]] = []
    for item in valid:
        if isinstance(item.model, Ipr):
            entry = Entry(key=_ipr_key(item.raw, item.model), kind="ipr", payload=item.model, source=item.raw.source,
                          account=item.raw.account)
            made.append((item.raw, entry))
        else:
            found = iprs.get((item.raw.account, item.model.ipr))
            depends_on = _ipr_key(*found) if found else item.model.ipr
            made += [(item.raw, e) for e in _complaint_entries(item.raw, item.model, depends_on)]
    return [entry for _, entry in made], _duplicate_keys(made)


def _ipr_key(raw: _Raw, ipr: Ipr) -> str:
    """An IPR's entry key: the entry it corrects, its own `key`, else its identity (of its account)."""
    return ipr.corrects or ipr.key or _scoped(raw.account, ipr.identity)


def _scoped(account: str | None, key: str) -> str:
    """A content key of an entry filed on an account other than the configured one: `account/key`,
    so that two rights holders' identical entries stay two entries."""
    return f"{account}/{key}" if account else key


def _complaint_entries(raw: _Raw, complaint: Complaint, depends_on: str) -> list[Entry]:
    ordered = complaint.model_copy(update={"listings": tuple(sorted(complaint.listings))})
    chunks = ordered.chunks()
    entries: list[Entry] = []
    for number, chunk in enumerate(chunks, start=1):
        split = len(chunks) > 1
        own = complaint.key + (f"#{number}" if split else "") if complaint.key else None
        key = own or _scoped(raw.account, _chunk_key(chunk))
        source = raw.source + (f" part {number}/{len(chunks)}" if split else "")
        entry = Entry(key=key, kind="complaint", payload=chunk, source=source, depends_on=depends_on,
                      account=raw.account)
        entries.append(entry)
    return entries


def _chunk_key(chunk: Complaint) -> str:
    """A complaint chunk's content key: what it asks of the portal, not how it was written."""
    content = [chunk.platform, chunk.ipr, chunk.type, chunk.reason, sorted(chunk.listings)]
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()
    return f"complaint:{chunk.platform}:{digest[:20]}"


def _duplicate_keys(made: list[tuple[_Raw, Entry]]) -> list[Problem]:
    first: dict[str, Entry] = {}
    problems: list[Problem] = []
    for raw, entry in made:
        if entry.key in first:
            why = f"same key {entry.key!r} as {first[entry.key].source}: one entry given twice"
            problems.append(raw.problem(("key",), why))
        first.setdefault(entry.key, entry)
    return problems


# Small helpers ------------------------------------------------------------------------


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _hint(word: object, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _got(value: object) -> str:
    shown = repr(value)
    simple = isinstance(value, str | int | float | bool) and len(shown) <= 60
    return f" (got {shown})" if simple else ""


def _blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, list | dict) and not value)
