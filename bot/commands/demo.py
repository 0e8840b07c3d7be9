"""`ippbot demo`: the whole story on embedded defaults, against a mock portal it starts itself.

Serve the mock portal on a free port, register the account, enqueue the sample batch, run it,
move the portal's clock so reviews and seller windows complete, sync, answer a counter-notice,
and print the summary and the report's path. Everything lives in `DATA_DIR/demo/`, made anew.
"""

from __future__ import annotations

import queue
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
from bot.commands import enqueue, run, status, sync
from bot.errors import EXIT_OK, EnvironmentProblem
from bot.run.artifacts import latest_run
from bot.run.contexts import command_flow
from bot.run.runner import RunOptions
from bot.settings import REPO_ROOT, Settings
from flows.context import FlowContext
from flows.read_status import answer_counter_notice, counter_notices_waiting, read_complaints
from flows.register import mock_mailbox, register
from flows.session import ensure_session, stored_session

SAMPLE = REPO_ROOT / "fixtures" / "batches" / "sample.yaml"


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
        typer.echo(f"demo: mock portal at {url}, data in {home}")
        _chapter("register the account", lambda: _register(settings))
        _chapter("enqueue the sample batch", lambda: enqueue.enqueue(settings, [SAMPLE]))
        _chapter("run: file the IPRs (complaints wait for approval)", lambda: run.run(settings, _quiet()))
        _chapter("3 working days later: reviews done", lambda: _advance(url, 7, settings))
        code = _chapter("run: file the complaints", lambda: run.run(settings, _quiet()))
        _chapter("the sellers' 3 working days pass", lambda: _advance(url, 6, settings))
        _chapter("answer a counter-notice", lambda: _answer_one(settings))
        status.status(settings, as_json=False)
        _the_end(settings)
    return code


def _the_end(settings: Settings) -> None:
    last = latest_run(settings.runs_dir)
    report = last.report if last else None
    typer.echo(f"\ndemo done: the ledger above, and the last run's report: {report}")


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
    with _demo_flow(settings) as ctx:
        ensure_session(ctx)
        waiting = counter_notices_waiting(read_complaints(ctx, open_only=True))
        if not waiting:
            typer.echo("no counter-notice is waiting")
            return
        reference, url = waiting[0]
        answer_counter_notice(ctx, reference, url, accept=False)
        typer.echo(f"rejected the counter-notice on {url} ({reference}): the platform reviews it")



def _demo_flow(settings: Settings) -> AbstractContextManager[FlowContext]:
    return command_flow(settings, "demo", storage_state=stored_session(settings.session_file), logger="ippbot.demo")
