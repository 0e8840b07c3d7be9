"""Logs: structlog set up once at start-up, with every secret redacted before it is written.

The CLI calls `configure()` once; every other module only calls `structlog.get_logger()`
and binds context. Two things keep secrets out of logs:

* `redact`, a processor that blanks the values of sensitive keys (``password``, ``cookie``,
  ``code``, ...) at any depth of the event;
* `register_secret(value)`, which masks a known value wherever it shows up in a string:
  messages, exception texts, URLs. The configured password is registered by `configure`;
  flows register session cookies and verification codes as soon as they see them.

Output is JSON lines, or structlog's console renderer on a terminal. A run can also keep
its own JSON-lines copy (`log_file`, the run's ``log.jsonl``). That copy and the run's observers
(its step timer) belong to the thread that configured them: `ippbot worker --concurrency N` works
several accounts' runs at once, one a thread, and each run's events go to its own folder only
(never one client's lines in another's evidence). Once a run is interrupted
(`bot.run.interrupts`), `mute_console()` keeps the rest off the terminal: what fails then fails
because of the stop, and the command says so in one line; the log file still gets every event.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

import structlog
from pydantic import SecretStr
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

from bot.errors import ConfigError
from bot.settings import LogFormat, Settings

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 4  # shorter values would mask half of every message

# A key is sensitive when one of its words (split on _ - .) is in _SENSITIVE_WORDS,
# or when the whole key is in _SENSITIVE_KEYS ("code" alone, not "status_code").
_SENSITIVE_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "csrf",
        "xsrf",
        "cookie",
        "cookies",
        "authorization",
        "apikey",
    }
)
_SENSITIVE_KEYS = frozenset(
    {
        "session",
        "session_id",
        "sessionid",
        "code",
        "verification_code",
        "verify_code",
        "otp",
        "set_cookie",
        "api_key",
    }
)

QUIETED_ON_STOP = ("asyncio", "playwright")  # standard-library loggers muted with the console
_secrets: tuple[str, ...] = ()
_outputs = threading.local()  # this thread's run: its log file (`sink`) and its observers
_console_muted = False


@dataclass(frozen=True)
class LogParams:
    """What `configure` needs when there is no `Settings` (tests, the mock portal)."""

    log_format: LogFormat = "auto"
    log_level: str = "info"


def register_secret(value: str | SecretStr | None) -> None:
    """Mask `value` (and its URL-encoded forms) in every string logged from now on."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not raw or len(raw) < MIN_SECRET_LENGTH:
        return
    global _secrets  # one registry per process, like structlog's config
    forms = {raw, quote(raw, safe=""), quote_plus(raw)}
    _secrets = tuple(sorted(set(_secrets) | forms, key=len, reverse=True))


def clear_secrets() -> None:
    """Forget every registered secret (for tests)."""
    global _secrets
    _secrets = ()


def redact(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: blank sensitive keys and mask registered secrets, at any depth."""
    return {key: _clean(key, value) for key, value in event_dict.items()}


def _clean(key: object, value: Any) -> Any:
    if isinstance(key, str) and _is_sensitive(key) and value is not None:
        return REDACTED
    if isinstance(value, Mapping):
        return {k: _clean(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(None, item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    masked = mask_secrets(text)
    return value if masked == text else masked


def _is_sensitive(key: str) -> bool:
    normal = key.lower().replace("-", "_").replace(".", "_")
    return normal in _SENSITIVE_KEYS or not _SENSITIVE_WORDS.isdisjoint(normal.split("_"))


def mask_secrets(text: str) -> str:
    """`text` with every registered secret replaced by ``[redacted]``."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def mute_console() -> None:
    """Write nothing more on the terminal (the log file and observers still see every event), until
    the next `configure`. Safe to call from a signal handler: it only sets a flag."""
    global _console_muted  # one terminal per process, like structlog's config
    _console_muted = True
    # and what the standard library's loggers say of a browser the stop took down: asyncio's "Future
    # exception was never retrieved", Playwright's "Error occurred in event listener" (logging's lock is
    # re-entrant: taking it in a signal handler of the thread that may hold it cannot deadlock)
    for name in QUIETED_ON_STOP:
        logging.getLogger(name).disabled = True


def configure(
    settings: Settings | LogParams,
    *,
    stream: TextIO | None = None,
    log_file: Path | None = None,
    observers: Sequence[Processor] = (),
    console_level: str | None = None,
) -> None:
    """Set up structlog for the whole process; call again to add or change a run's log file.

    Logs go to `stream` (stderr by default, so stdout stays for command output).
    `observers` are processors that see every event after redaction (a run's step timer).
    `console_level` keeps the terminal quieter than the log file (e.g. "warning" for a demo).
    """
    global _console_muted
    _console_muted = False
    for name in QUIETED_ON_STOP:
        logging.getLogger(name).disabled = False
    if isinstance(settings, Settings):
        for secret in (settings.password, settings.smtp_password, settings.notify_webhook_secret):
            register_secret(secret)
    out = stream if stream is not None else sys.stderr
    _open_sink(log_file)
    _outputs.observers = tuple(observers)
    structlog.configure(
        processors=_processors(settings.log_format, out, console_level),
        wrapper_class=structlog.make_filtering_bound_logger(_level(settings.log_level)),
        logger_factory=structlog.WriteLoggerFactory(file=out),
        cache_logger_on_first_use=False,  # loggers must follow a later configure()
    )


def _processors(log_format: LogFormat, out: TextIO, console_level: str | None = None) -> list[Processor]:
    chain: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # Exceptions become text here, before `redact`, so their messages are masked too.
        structlog.processors.format_exc_info,
        redact,
    ]
    chain.append(_this_threads_run)
    if console_level is not None:
        chain.append(_quieter_than(_level(console_level)))
    chain.append(_unless_muted)
    chain.append(_renderer(log_format, out))
    return chain


def _this_threads_run(logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
    """Hand the event to the observers and the log file of the run this thread works (if any)."""
    for observer in getattr(_outputs, "observers", ()):
        event_dict = observer(logger, method, event_dict)
    sink: _JsonFileSink | None = getattr(_outputs, "sink", None)
    return sink(logger, method, event_dict) if sink is not None else event_dict


def _unless_muted(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Drop the event from the terminal once `mute_console()` was called."""
    if _console_muted:
        raise structlog.DropEvent
    return event_dict


def _renderer(log_format: LogFormat, out: TextIO) -> Processor:
    console = log_format == "console" or (log_format == "auto" and out.isatty())
    if console:
        return structlog.dev.ConsoleRenderer()
    return structlog.processors.JSONRenderer(default=str)


def _quieter_than(level: int) -> Processor:
    """Drop events below `level` from the terminal (the file and observers already saw them)."""

    def drop(_logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
        if _level(method if method != "exception" else "error") < level:
            raise structlog.DropEvent
        return event_dict

    return drop


def _level(name: str) -> int:
    level = logging.getLevelNamesMapping().get(name.upper())
    if level is None:
        raise ConfigError(f"IPPBOT_LOG_LEVEL: unknown level {name!r}")
    return level


class _JsonFileSink:
    """Processor that appends each event as one JSON line to a file and passes it on."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8", buffering=1)

    def __call__(self, _logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        self._file.write(json.dumps(event_dict, default=str) + "\n")
        return event_dict

    def close(self) -> None:
        self._file.close()


def _open_sink(log_file: Path | None) -> None:
    """This thread's log file from now on (its previous one closed; another thread's left alone)."""
    previous: _JsonFileSink | None = getattr(_outputs, "sink", None)
    if previous is not None:
        previous.close()
    _outputs.sink = _JsonFileSink(log_file) if log_file is not None else None


@contextmanager
def step(
    log: FilteringBoundLogger, flow: str, step: str, **ctx: Any
) -> Iterator[FilteringBoundLogger]:
    """Log ``step.start`` and ``step.end`` (with `duration_ms` and `outcome`) around a block.

    `outcome` is ``ok`` or the exception's class name; the exception is re-raised.
    Yields the logger bound with `flow`, `step` and `ctx`.
    """
    bound = log.bind(flow=flow, step=step, **ctx)
    bound.info("step.start")
    started = time.perf_counter()
    try:
        yield bound
    except BaseException as exc:
        bound.warning(
            "step.end", duration_ms=_since(started), outcome=type(exc).__name__, error=str(exc)
        )
        raise
    bound.info("step.end", duration_ms=_since(started), outcome="ok")


def _since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
