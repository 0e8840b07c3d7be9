"""`ippbot respond`: answer counter-notices on the portal, each answer filed exactly once (`bot.run.answers`).

`ippbot respond URL... (--accept|--reject) [--complaint REF] [--note TEXT] [--evidence FILE]... [--wait]`,
or `ippbot respond --file DECISIONS.csv` (columns `url,decision`, `decision` accept or reject, and
optional `complaint,note,evidence`; several evidence files separated by `;`, relative to the CSV's
folder). A URL is found in the ledger's listings as the last `ippbot sync` read them; a URL that
stands in several complaints needs `--complaint REF` (or the CSV's `complaint`).

Exit codes: 0 every answer is on the portal (filed now, or already); 1 some could not be filed
(nothing waits any more, or in doubt: the line says what to do); 2 bad usage or input (nothing was
filed); 3 the portal is down, or a run holds the account's lease (without `--wait`).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import typer

from bot.errors import EXIT_FAILED, EXIT_OK, InputError
from bot.run.answers import Target, act
from bot.run.preflight import check_data_dir, check_portal
from bot.settings import Settings
from bot.store.ledger import Ledger

DECISIONS = ("accept", "reject")
COLUMNS = ("url", "decision", "complaint", "note", "evidence")


def decision_of(accept: bool, reject: bool, file: Path | None) -> str | None:
    """accept, reject or None (with --file); bad usage is an `InputError` (exit 2, one line)."""
    if file is not None and (accept or reject):
        raise InputError("--file takes each decision from the file: give no --accept or --reject with it")
    if accept and reject:
        raise InputError("respond takes --accept or --reject, not both")
    return "accept" if accept else "reject" if reject else None


def respond(settings: Settings, urls: Sequence[str], decision: str | None, *, complaint: str | None, note: str,
            evidence: Sequence[Path], wait: bool, file: Path | None) -> int:
    """Answer the counter-notices on `urls` (or those of `file`); the exit code."""
    if file is not None and urls:
        raise InputError("--file takes the URLs from the file: give none on the command line")
    with Ledger.open(settings) as ledger:
        targets = _from_file(ledger, settings.email, file) if file else _from_options(
            ledger, settings.email, urls, decision, complaint, note, evidence)
    return file_targets(settings, targets, wait=wait)


def file_targets(settings: Settings, targets: Sequence[Target], *, wait: bool) -> int:
    """File `targets` once each and print a line each (for `respond` and `withdraw`); the exit code."""
    check_portal(settings)
    check_data_dir(settings)
    with Ledger.open(settings) as ledger:
        outcomes = act(settings, ledger, targets, wait=wait, say=lambda line: typer.echo(line, err=True))
    for outcome in outcomes:
        typer.echo(outcome.line)
    return EXIT_OK if all(o.result in {"filed", "already"} for o in outcomes) else EXIT_FAILED


def _from_options(ledger: Ledger, account: str, urls: Sequence[str], decision: str | None, complaint: str | None,
                  note: str, evidence: Sequence[Path]) -> list[Target]:
    if not urls or decision is None:
        raise InputError("respond takes URL... with --accept or --reject, or --file DECISIONS.csv")
    files = _existing(evidence)
    return [Target("answer", complaint or complaint_of(ledger, account, url), url, decision, note, files)
            for url in urls]


def complaint_of(ledger: Ledger, account: str, url: str) -> str:
    """The one complaint of the ledger's listings (as the last sync read them) that has listing `url`."""
    refs = sorted({row.complaint for row in ledger.listings(account=account, url=url)})
    if not refs:
        raise InputError(f"no complaint in the ledger lists {url}: run ippbot sync, or pass --complaint REF")
    if len(refs) > 1:
        raise InputError(f"{url} stands in complaints {', '.join(refs)}: pass --complaint REF to say which")
    return refs[0]


def _from_file(ledger: Ledger, account: str, path: Path) -> list[Target]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise InputError(f"cannot read it: {exc.strerror or exc}", file=str(path)) from None
    if not rows or not {"url", "decision"} <= set(rows[0]):
        raise InputError("a decisions file needs the columns url,decision (and optional complaint,note,evidence)",
                         file=str(path))
    return [_row_target(ledger, account, path, n, row) for n, row in enumerate(rows, start=2)]


def _row_target(ledger: Ledger, account: str, path: Path, line: int, row: dict[str, str]) -> Target:
    where = f"{path}:{line}"
    decision, url = (row.get("decision") or "").strip().lower(), (row.get("url") or "").strip()
    if decision not in DECISIONS or not url:
        raise InputError(f"needs a url and a decision of accept or reject (got {decision!r})", file=where)
    given = [path.parent / p.strip() for p in (row.get("evidence") or "").split(";") if p.strip()]
    try:
        complaint = (row.get("complaint") or "").strip() or complaint_of(ledger, account, url)
        return Target("answer", complaint, url, decision, (row.get("note") or "").strip(), _existing(given))
    except InputError as exc:
        raise InputError(exc.reason, file=where) from None


def _existing(paths: Sequence[Path]) -> tuple[Path, ...]:
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise InputError(f"no such evidence file: {', '.join(missing)}")
    return tuple(p.resolve() for p in paths)
