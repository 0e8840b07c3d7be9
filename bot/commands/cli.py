"""CLI: the `ippbot` command, which turns options into `Settings` and calls the work.

Each command builds `Settings` once, with its own options on top (`--headed` sets
`headless=False`, ...), sets up logging, and passes the settings down. An `IppbotError`
that ends a command prints one line on stderr, without a traceback, and exits with the
contract's code (`bot.errors.exit_code_for`): 2 bad input, 3 wrong environment.

The mock portal is its own program: `portal serve` and (for now) `demo` replace this
process with ``python -m fixtures.portal``, so `bot/` never imports `fixtures/`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

import typer

from bot.errors import Interrupted, IppbotError, exit_code_for
from bot.settings import Settings, TraceMode, load_settings


def _lazy(name: str) -> ModuleType:
    """Module `name`, run on first use, so `ippbot --help` imports no ledger, queue, flows or logging
    (0.9 s before, docs/BENCHMARKS.md); a command imports what it uses when it runs."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    from bot import logs
    from bot.commands import account as account_command
    from bot.commands import cancel as cancel_command
    from bot.commands import counter_notices as counter_notices_command
    from bot.commands import demo as demo_story
    from bot.commands import enqueue as enqueue_command
    from bot.commands import history as history_command
    from bot.commands import ledger as ledger_command
    from bot.commands import replay as replay_command
    from bot.commands import report as report_command
    from bot.commands import resolve as resolve_command
    from bot.commands import respond as respond_command
    from bot.commands import retry as retry_command
    from bot.commands import run as run_command
    from bot.commands import selectors as selectors_command
    from bot.commands import standing as standing_command
    from bot.commands import status as status_command
    from bot.commands import stopping
    from bot.commands import sync as sync_command
    from bot.commands import withdraw as withdraw_command
    from bot.commands import worker as worker_command
    from bot.run.runner import RunOptions
else:
    account_command = _lazy("bot.commands.account")
    demo_story = _lazy("bot.commands.demo")
    enqueue_command = _lazy("bot.commands.enqueue")
    replay_command = _lazy("bot.commands.replay")
    report_command = _lazy("bot.commands.report")
    run_command = _lazy("bot.commands.run")
    selectors_command = _lazy("bot.commands.selectors")
    status_command = _lazy("bot.commands.status")
    standing_command = _lazy("bot.commands.standing")
    sync_command = _lazy("bot.commands.sync")
    worker_command = _lazy("bot.commands.worker")
    retry_command = _lazy("bot.commands.retry")
    resolve_command = _lazy("bot.commands.resolve")
    cancel_command = _lazy("bot.commands.cancel")
    counter_notices_command = _lazy("bot.commands.counter_notices")
    respond_command = _lazy("bot.commands.respond")
    withdraw_command = _lazy("bot.commands.withdraw")
    history_command = _lazy("bot.commands.history")
    ledger_command = _lazy("bot.commands.ledger")
    stopping = _lazy("bot.commands.stopping")
    logs = _lazy("bot.logs")

    def RunOptions(**options: Any) -> Any:  # noqa: N802 - the class itself, imported when a run starts
        return importlib.import_module("bot.run.runner").RunOptions(**options)



def _typer(help_text: str) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_show_locals=False,  # locals may hold the password
    )


app = _typer(
    "File IPRs and takedown complaints on Alibaba's IP Protection portal with a real browser."
)
portal_app = _typer("The mock portal, for the demo, tests and QA.")
account_app = _typer("The portal account: register it, log in.")
selectors_app = _typer("The selector files in selectors/.")
ledger_app = _typer("The ledger's schema, and moving it to PostgreSQL.")
app.add_typer(portal_app, name="portal")
app.add_typer(account_app, name="account")
app.add_typer(selectors_app, name="selectors")
app.add_typer(ledger_app, name="ledger")


def _settings(**overrides: Any) -> Settings:
    """Build the command's `Settings` (options on top of environment) and start logging."""
    settings = load_settings(**overrides)
    logs.configure(settings)
    return settings


def _exit(code: int) -> NoReturn:
    raise typer.Exit(code)


def _exec_portal(args: list[str]) -> NoReturn:
    """Replace this process with the mock portal, so it runs as its own program."""
    argv = [sys.executable, "-m", "fixtures.portal", *args]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter, arguments from options


def _flags(pairs: Mapping[str, object]) -> list[str]:
    """`--name value` for every option that was given."""
    args: list[str] = []
    for flag, value in pairs.items():
        if value is not None:
            args += [flag, str(value)]
    return args


@app.command()
def demo() -> None:
    """Run the sample batch on a mock portal of its own, start to end, and print the report's path."""
    _exit(demo_story.demo(_settings()))


@portal_app.command(
    "serve", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
def portal_serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default 8765, as IPPBOT_PORTAL_URL); 0 picks a free one.")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Where the portal keeps its state.")] = None,
    layout: Annotated[
        Literal["v1", "v2"] | None, typer.Option(help="Page layout to serve.")
    ] = None,
    faults: Annotated[
        str | None,
        typer.Option(help="Faults, e.g. commit_then_fail=0.3,error_rate=0.1,seed=7."),
    ] = None,
    captcha: Annotated[
        Literal["off", "slider"] | None, typer.Option(help="Slider check on registration.")
    ] = None,
) -> None:
    """Serve the mock portal; prints `portal listening on http://H:P` once it accepts.

    Use --port 8765 to match the default IPPBOT_PORTAL_URL. Options not listed here go to the portal
    as given (`python -m fixtures.portal --help`), such as `--captcha-login off|slider`.
    """
    given = {
        "--host": host,
        "--port": port,
        "--data-dir": data_dir,
        "--layout": layout,
        "--faults": faults,
        "--captcha": captcha,
    }
    _exec_portal(_flags(given) + ctx.args)


HeadedOption = Annotated[bool, typer.Option("--headed", help="Show the browser (full Chromium).")]
PauseOption = Annotated[
    bool,
    typer.Option("--pause-on-failure", help="With --headed: a person completes a slider check or types the code."),
]


AccountOption = Annotated[
    str | None, typer.Option(metavar="EMAIL", help="The account (of IPPBOT_ACCOUNTS_FILE); default: IPPBOT_EMAIL's.")
]


@account_app.command("register")
def account_register(headed: HeadedOption = False, pause_on_failure: PauseOption = False,
                     account: AccountOption = None) -> None:
    """Register the configured account on the portal (verification code from the mailbox)."""
    settings = _settings(headless=False if headed else None, pause_on_failure=True if pause_on_failure else None)
    with stopping.stopped_at_once("account register"):
        account_command.register(account_command.chosen(settings, account))


@account_app.command("login")
def account_login(headed: HeadedOption = False, pause_on_failure: PauseOption = False,
                  account: AccountOption = None) -> None:
    """Log in with the configured account and store the session in the data dir."""
    settings = _settings(headless=False if headed else None, pause_on_failure=True if pause_on_failure else None)
    with stopping.stopped_at_once("account login"):
        account_command.login(account_command.chosen(settings, account))


@app.command()
def enqueue(
    files: Annotated[list[Path], typer.Argument(help="Batch files, YAML or CSV.")],
    account: Annotated[
        str | None, typer.Option(metavar="EMAIL", help="The account that files entries of files naming none.")
    ] = None,
) -> None:
    """Validate batch files and add their entries to the ledger in one transaction."""
    _exit(enqueue_command.enqueue(_settings(), files, account))


@app.command()
def run(
    headed: Annotated[
        bool, typer.Option("--headed", help="Show the browser (full Chromium).")
    ] = False,
    slow_mo: Annotated[
        int | None, typer.Option(help="Slow every browser action by this many ms.")
    ] = None,
    trace: Annotated[
        TraceMode | None, typer.Option(help="Playwright traces: off, on, retain-on-failure.")
    ] = None,
    har: Annotated[bool, typer.Option("--har", help="Record a HAR file per entry.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many entries.")] = None,
    pause_on_failure: Annotated[
        bool,
        typer.Option("--pause-on-failure", help="On a failure, pause for a human to look."),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Fill each due entry's form up to the final click: file nothing, move nothing."),
    ] = False,
    account: AccountOption = None,
) -> None:
    """Work the queue one entry at a time, writing the run's artifacts and report."""
    settings = _settings(
        headless=False if headed else None,
        slow_mo_ms=slow_mo,
        trace=trace,
        har=True if har else None,
        pause_on_failure=True if pause_on_failure else None,
    )
    _exit(run_command.run(settings, RunOptions(limit=limit, dry_run=dry_run), account))


@app.command()
def status(
    json_output: Annotated[
        bool, typer.Option("--json", help="One JSON array of entries on stdout.")
    ] = False,
    account: AccountOption = None,
    fleet: Annotated[
        bool, typer.Option("--fleet", help="The workers alive, what each works, entries per state per account.")
    ] = False,
) -> None:
    """Every entry with its state, attempts, portal reference and last error; with --fleet, the fleet."""
    if fleet:
        from bot.commands.fleet_status import fleet_status

        _exit(fleet_status(_settings(), json_output))
    _exit(status_command.status(_settings(), json_output, account))


@app.command()
def sync(account: AccountOption = None) -> None:
    """Read IPR review results and complaint statuses back from the portal into the ledger (every account's, or
    --account's), then answer the counter-notices due soon by IPPBOT_COUNTER_NOTICE_POLICY."""
    settings = _settings()
    with stopping.stopped_at_once("sync"):
        code = sync_command.sync_command(settings, account=account)
    _exit(code)


@app.command()
def standing(
    json_output: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    account: AccountOption = None,
) -> None:
    """The Good Faith standing as the portal shows it: takedown rate, counter-notice success rate, qualifies."""
    _exit(standing_command.standing(_settings(), json_output, account))


@app.command("counter-notices")
def counter_notices(
    json_output: Annotated[bool, typer.Option("--json", help="One JSON array of objects on stdout.")] = False,
    sync_first: Annotated[bool, typer.Option("--sync", help="Read the portal first (ippbot sync).")] = False,
    due_within: Annotated[
        int | None,
        typer.Option("--due-within", metavar="WORKING-DAYS", min=0, help="Only those due within N working days."),
    ] = None,
    account: AccountOption = None,
) -> None:
    """Every counter-notice waiting for your answer: complaint, listing, the seller's statement, the deadline."""
    _exit(counter_notices_command.counter_notices(_settings(), as_json=json_output, sync_first=sync_first,
                                                  due=due_within, account=account))


WaitOption = Annotated[bool, typer.Option("--wait", help="If a run holds the account, wait for it to end.")]


@app.command()
def respond(
    urls: Annotated[list[str] | None, typer.Argument(help="Listing URLs whose counter-notice to answer.")] = None,
    accept: Annotated[bool, typer.Option("--accept", help="Accept the counter-notices: the listings go back.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject them: the platform reviews each.")] = False,
    complaint: Annotated[
        str | None, typer.Option(metavar="REF", help="The complaint, for a URL that stands in several.")
    ] = None,
    note: Annotated[str, typer.Option(help="A note sent with each answer.")] = "",
    evidence: Annotated[
        list[Path] | None, typer.Option(metavar="FILE", help="An evidence file sent with each answer (repeat it).")
    ] = None,
    wait: WaitOption = False,
    file: Annotated[
        Path | None, typer.Option(metavar="DECISIONS.csv", help="Answers from a CSV: url,decision[,complaint,...].")
    ] = None,
    account: AccountOption = None,
) -> None:
    """Answer counter-notices on the portal, each answer filed exactly once."""
    settings = account_command.chosen(_settings(), account)
    _exit(respond_command.respond(settings, urls or [], respond_command.decision_of(accept, reject, file),
                                  complaint=complaint, note=note, evidence=evidence or [], wait=wait, file=file))


@app.command()
def withdraw(
    reference: Annotated[str, typer.Argument(metavar="REF", help="The complaint's portal reference (CP-...).")],
    listing: Annotated[
        list[str] | None, typer.Option("--listing", metavar="URL", help="Withdraw only this listing (repeat it).")
    ] = None,
    wait: WaitOption = False,
    account: AccountOption = None,
) -> None:
    """Withdraw a complaint, or some of its listings, on the portal (each filed exactly once)."""
    settings = account_command.chosen(_settings(), account)
    _exit(withdraw_command.withdraw(settings, reference, listing or [], wait=wait))


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=16, help="Accounts worked at once, each in a browser of its own (never two "
                                              "on one account).")
    ] = 1,
) -> None:
    """Run the queue's consumer: triggered runs, the nightly schedule (IPPBOT_SCHEDULE) and the sweeper."""
    _exit(worker_command.worker(_settings(), concurrency))


@app.command()
def report(
    run_id: Annotated[
        str | None, typer.Option("--run", help="The run's id; the latest run if omitted.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the report here instead of the run's folder.")
    ] = None,
) -> None:
    """Write the HTML and JSON report of a run (report.html, summary.json)."""
    _exit(report_command.report(_settings(), run_id, out))


@app.command()
def replay(
    path: Annotated[
        Path, typer.Argument(help="An entry's HAR (RUN_DIR/har/*.har) or a trace (RUN_DIR/traces/*.zip).")
    ],
) -> None:
    """QA replay: re-run an entry's .har with no portal and compare; or serve a trace .zip's viewer.

    Exit code 0 when the replay took the recorded steps to the recorded outcome, 1 otherwise.
    """
    _exit(replay_command.replay(_settings(), path))


@selectors_app.command("check")
def selectors_check() -> None:
    """Check every selector against the live portal; list those matching none or several."""
    settings = _settings()
    with stopping.stopped_at_once("selectors check"):
        code = selectors_command.check(settings)
    _exit(code)


@app.command()
def retry(
    keys: Annotated[list[str] | None, typer.Argument(help="Entry keys (`ippbot status` lists them).")] = None,
    state: Annotated[
        Literal["failed", "dead", "needs_human", "blocked"] | None,
        typer.Option(help="Every entry in this state (blocked ones are told why they wait)."),
    ] = None,
) -> None:
    """Put entries back in line, their attempts counted afresh; with no key and no --state, say what it would take."""
    _exit(retry_command.retry(_settings(), keys or [], state))


@app.command()
def resolve(
    key: Annotated[str, typer.Argument(help="The entry in doubt (unknown, or needs_human that cannot tell).")],
    filed: Annotated[
        str | None, typer.Option("--filed", metavar="REF", help="It is on the portal, under this reference.")
    ] = None,
    not_filed: Annotated[
        bool, typer.Option("--not-filed", help="It is not on the portal: back in line.")
    ] = False,
) -> None:
    """Settle an entry in doubt after looking at the portal: filed (with its reference) or not filed."""
    _exit(resolve_command.resolve(_settings(), key, filed, not_filed))


@app.command()
def cancel(
    keys: Annotated[list[str], typer.Argument(help="Entry keys (`ippbot status` lists them).")],
    reason: Annotated[str | None, typer.Option(help="Why, for the entries' history.")] = None,
) -> None:
    """Give entries up on purpose: they are never filed."""
    _exit(cancel_command.cancel(_settings(), keys, reason))


@app.command()
def history(key: Annotated[str, typer.Argument(help="The entry's key.")]) -> None:
    """An entry's history: every move of its state, when and why, and each attempt's artifacts."""
    _exit(history_command.history(_settings(), key))


@ledger_app.command("migrate")
def ledger_migrate() -> None:
    """Bring the ledger (IPPBOT_LEDGER_URL, else the data dir's) to the newest revision; say from which to which."""
    _exit(ledger_command.migrate(_settings()))


@ledger_app.command("copy")
def ledger_copy(
    to: Annotated[
        str, typer.Option("--to", metavar="URL", help="The target database, e.g. postgresql+psycopg://user@host/db: "
                                                      "brought to the newest revision first; it must hold no ledger.")
    ],
) -> None:
    """Copy the ledger (IPPBOT_LEDGER_URL, else the data dir's) into an empty database, all or nothing.

    Stop every worker and run first (a live lease refuses the copy); then set IPPBOT_LEDGER_URL to the target.
    Leases and the queue's jobs are not copied: they are live state the workers make again.
    """
    _exit(ledger_command.copy(_settings(), to))


def main(argv: list[str] | None = None) -> None:
    """Console entry point (`ippbot`): runs `app`, and ends an `IppbotError` with its exit code."""
    try:
        app(args=argv, prog_name="ippbot")
    except IppbotError as exc:
        typer.echo(f"ippbot: {exc}", err=True)
        sys.exit(exc.exit_code if isinstance(exc, Interrupted) else exit_code_for(exc))


if __name__ == "__main__":
    main()
