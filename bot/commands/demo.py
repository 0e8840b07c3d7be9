"""`ippbot demo`: the whole story on embedded defaults, against a mock portal it starts itself.

Serve the mock portal on a free port, register the account, enqueue the sample batch, run it,
move the portal's clock so reviews and seller windows complete, sync; then the wait: the demo's
operator rejects one counter-notice, the counter-notice policy (`reject`, within 3 working days of
the deadline) answers every other at the next sync, one listing is withdrawn, the platform's
reviews pass, and the standing is printed with the summary and the report's path. Every answer and
the withdrawal go through the one exactly-once path (`bot.run.answers`). Everything lives in
`DATA_DIR/demo/`, made anew.

The demo's two runs record as `ippbot run --har --trace on` does (a HAR and a full trace per entry,
in `runs/<run-id>/har/` and `traces/`), so QA can try `ippbot replay` on them at once; its last
lines give the two commands for one entry of the last run, the complaints' (the one with the
smallest HAR, the quickest to replay). Only the runs record: the commands between them (sync, the answers, the
withdrawal) run on the settings as given, so they keep sending each final post once
(`bot.run.contexts`: a run with `--har` lets the browser post).
"""

from __future__ import annotations

import queue
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import typer

from bot import logs
from bot.commands import enqueue, run, standing, status, sync
from bot.errors import EXIT_OK, EnvironmentProblem
from bot.run.answers import Target, act
from bot.run.artifacts import RunDir, latest_run
from bot.run.contexts import command_flow
from bot.run.runner import RunOptions
from bot.settings import REPO_ROOT, Settings
from bot.store.ledger import Ledger
from flows.context import FlowContext
from flows.register import mock_mailbox, register
from flows.session import stored_session

SAMPLE = REPO_ROOT / "fixtures" / "batches" / "sample.yaml"
POLICY = {"counter_notice_policy": "reject", "counter_notice_policy_days": 3}  # the demo's: every one is due soon
RECORDED = {"har": True, "trace": "on"}  # the demo's runs, as `ippbot run --har --trace on`: QA replays them
OPERATOR_NOTE = "Not an authorised reseller: the brand's distributor issued no such invoice."


def start_portal(data_dir: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Start the mock portal as its own process on a free port; return it and its URL once it listens."""
    cmd = [sys.executable, "-m", "fixtures.portal", "--port", "0", "--data-dir", str(data_dir), *args]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: S603 - our interpreter, our module
    try:
        return proc, _listening_url(proc)
    except BaseException:
        proc.kill()
        raise


@contextmanager
def served_portal(data_dir: Path, *args: str) -> Iterator[str]:
    """`start_portal` for the length of a block; yields its URL and stops it after."""
    proc, url = start_portal(data_dir, *args)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _listening_url(proc: subprocess.Popen[str]) -> str:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in proc.stdout or []:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=30)
        except queue.Empty:
            raise EnvironmentProblem("the mock portal did not start within 30 s",
                                     fix="run `python -m fixtures.portal --port 0` to see why") from None
        if line.startswith("portal listening on "):
            return line.split()[-1]


def demo(base: Settings) -> int:
    """Run the demo; returns the exit code of its last run."""
    logs.configure(base, console_level="warning")  # the story on stdout; details in each run's log.jsonl
    home = Path(base.data_dir) / "demo"
    shutil.rmtree(home, ignore_errors=True)
    with served_portal(home / "portal") as url:
        settings = base.model_copy(update={"portal_url": url, "data_dir": home, "email": "demo@brand.example"})
        policy = settings.model_copy(update=POLICY)
        recorded = settings.model_copy(update=RECORDED)
        typer.echo(f"demo: mock portal at {url}, data in {home}")
        _chapter("register the account", lambda: _register(settings))
        _chapter("enqueue the sample batch", lambda: enqueue.enqueue(settings, [SAMPLE]))
        _chapter("run: file the IPRs (complaints wait for approval)", lambda: run.run(recorded, _quiet()))
        _chapter("3 working days later: reviews done", lambda: _advance(url, 7, settings))
        code = _chapter("run: file the complaints", lambda: run.run(recorded, _quiet()))
        _chapter("the sellers' 3 working days pass", lambda: _advance(url, 6, settings))
        _chapter("the operator answers a counter-notice", lambda: _answer_one(settings))
        _chapter("sync: the policy (reject) answers the rest", lambda: sync.sync_command(policy))
        _chapter("withdraw a listing", lambda: _withdraw_one(settings))
        _chapter("2 working days later: the platform's reviews done", lambda: _advance(url, 3, settings))
        status.status(settings, as_json=False)
        _chapter("the standing", lambda: standing.standing(settings, as_json=False))
        _the_end(settings)
    return code


def _the_end(settings: Settings) -> None:
    last = latest_run(settings.runs_dir)
    report = last.report if last else None
    typer.echo(f"\ndemo done: the ledger above, and the last run's report: {report}")
    for line in replay_lines(last) if last else []:
        typer.echo(line)


def replay_lines(run_dir: RunDir) -> list[str]:
    """How QA tries the run's recordings: the commands that replay one entry's HAR (with no portal) and open
    its trace, for the entry with the smallest HAR; none when the run recorded no HAR and trace together."""
    files = [(e.key, run_dir.root / e.har, run_dir.root / e.trace) for e in run_dir.read_summary().entries
             if e.har and e.trace]
    present = [(key, har, trace) for key, har, trace in files if har.is_file() and trace.is_file()]
    if not present:
        return []
    key, har, trace = min(present, key=lambda recorded: recorded[1].stat().st_size)
    return [f"replay {key} from its HAR (QA, no portal needed): ippbot replay {shlex.quote(str(har))}",
            f"its trace in Playwright's trace viewer: ippbot replay {shlex.quote(str(trace))}"]


def _quiet() -> RunOptions:
    return RunOptions(console_level="warning")


def _chapter(title: str, step: Callable[[], object]) -> int:
    typer.echo(f"\n== {title}")
    result = step()
    return result if isinstance(result, int) else EXIT_OK


def _register(settings: Settings) -> None:
    with _demo_flow(settings) as ctx:
        typer.echo(f"account {settings.email}: {register(ctx, mock_mailbox(settings.portal_url))}")


def _advance(url: str, days: int, settings: Settings) -> int:
    httpx.post(f"{url}/__mock/clock", json={"advance_days": days}, timeout=10).raise_for_status()
    return sync.sync_command(settings)


def _answer_one(settings: Settings) -> None:
    """The operator's own answer: the first counter-notice waiting, rejected with a note."""
    with Ledger.open(settings) as ledger:
        waiting = ledger.listings(account=settings.email, state="counter_noticed")
        if not waiting:
            typer.echo("no counter-notice is waiting")
            return
        first = waiting[0]
        [done] = act(settings, ledger, [Target("answer", first.complaint, first.url, "reject", OPERATOR_NOTE)],
                     wait=True, say=typer.echo)
    typer.echo(f"rejected the counter-notice on {first.url} ({first.complaint}): the platform reviews it"
               if done.result in {"filed", "already"} else done.line)


def _withdraw_one(settings: Settings) -> None:
    """The operator takes one listing back: the first whose counter-notice the platform now reviews."""
    with Ledger.open(settings) as ledger:
        open_ones = ledger.listings(account=settings.email, state="answered")
        if not open_ones:
            typer.echo("no open listing to withdraw")
            return
        [done] = act(settings, ledger, [Target("withdraw", open_ones[0].complaint, open_ones[0].url)], wait=True,
                     say=typer.echo)
    typer.echo(done.line)



def _demo_flow(settings: Settings) -> AbstractContextManager[FlowContext]:
    return command_flow(settings, "demo", storage_state=stored_session(settings.session_file), logger="ippbot.demo")
