"""Notifications after a run or a sync: a mail to the operator and a signed webhook; never a secret, never fatal.

The mail (`send_mail`) goes to an SMTP server named by a URL: ``smtp://[user@]host:port`` is
upgraded with STARTTLS whenever the server offers it (and a log-in is only ever sent over TLS),
``smtps://`` is TLS from the first byte. It carries the headline figures and what needs the
operator, with the report attached, or named by its path when it is larger than the limit.
The webhook (`post_webhook`) receives the summary as JSON, signed with HMAC-SHA256 over the
body (header ``X-Ippbot-Signature: sha256=<hex>``) when a secret is set, and is tried again with
a growing wait when the receiver is down or answers 5xx.

Every text that leaves passes through `bot.logs.mask_secrets`. `notify` sends both and turns any
failure into a log line: a run is never failed by its notification. `notify_run` does it for one
run as the settings say (`IPPBOT_NOTIFY_EMAIL` with `IPPBOT_SMTP_URL`, `IPPBOT_NOTIFY_WEBHOOK`);
`notify_settings` for any notice, such as the morning sync's `missed_night_notice` and `sync_notice`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import structlog
from structlog.typing import FilteringBoundLogger

from bot.errors import ConfigError, first_line
from bot.logs import mask_secrets
from bot.run.artifacts import RunSummary
from bot.run.report_data import AccountView
from bot.settings import Settings

SIGNATURE_HEADER = "X-Ippbot-Signature"
WEBHOOK_ATTEMPTS = 4
WEBHOOK_FIRST_WAIT_S = 1.0


@dataclass(frozen=True)
class Notice:
    """What the operator is told: a subject, a plain-text body, the summary as data, and the report."""

    subject: str
    text: str
    summary: dict[str, Any]
    report: Path | None = None


@dataclass(frozen=True)
class MailSettings:
    """Where the mail goes: the SMTP URL, its password, the sender and the recipients."""

    url: str
    recipients: Sequence[str]
    sender: str = "ippbot@localhost"
    password: str | None = None
    max_attach_bytes: int = 5 * 1024 * 1024
    tls: ssl.SSLContext | None = None  # the server's trust; default: the system's
    timeout_s: float = 30.0


@dataclass
class Outcome:
    """What notifying did: the channels that worked and the problems met (already logged)."""

    sent: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


NEEDS_OPERATOR = {
    "failed": "correct the entry, then `ippbot retry KEY`",
    "dead": "see its last error, then `ippbot retry KEY`",
    "needs_human": "look on the portal, then `ippbot resolve KEY --filed REF` or `--not-filed` (or `ippbot retry KEY`)",
    "unknown": "the next run settles it from the portal's records",
    "blocked": "its IPR was refused: correct the IPR; the complaint goes on by itself once it is approved",
}


def run_notice(summary: RunSummary, report: Path | None, account: str) -> Notice:
    """The notice of one run: the headline figures and every entry that needs the operator, with what to do."""
    waiting = [e for e in summary.entries if e.state in NEEDS_OPERATOR]
    filed = sum(1 for e in summary.entries if e.state == "confirmed" and not e.existing)
    head = f"ippbot {account}: run {summary.run_id}: {filed} filed, {len(waiting)} need you"
    if summary.interrupted:
        head += f" (interrupted by {summary.interrupted})"
    lines = [head, "", "Ledger: " + ", ".join(f"{n} {state}" for state, n in summary.counts.items() if n)]
    if waiting:
        lines += ["", "Needs you:"]
        lines += [f"- {e.key}: {e.state}: {e.error or ''} -> {NEEDS_OPERATOR[e.state]}" for e in waiting]
    data = summary.model_dump(mode="json") | {"account": account, "needs_operator": len(waiting)}
    return Notice(subject=head, text="\n".join(lines), summary=data, report=report)


def send_mail(mail: MailSettings, notice: Notice) -> None:
    """Send the notice by SMTP (STARTTLS when offered, or SMTPS); raises on failure."""
    parts = urlsplit(mail.url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(f"IPPBOT_SMTP_URL must be smtp://[user@]host:port or smtps://...; got {mail.url!r}")
    tls = mail.tls or ssl.create_default_context()
    with _connect(parts.scheme, parts.hostname, parts.port, tls, mail.timeout_s) as smtp:
        if parts.username:
            if not isinstance(smtp.sock, ssl.SSLSocket):  # the server offered no STARTTLS
                raise ConfigError(f"{parts.hostname} offers no STARTTLS: ippbot will not send a password in clear")
            smtp.login(unquote(parts.username), mail.password or "")
        smtp.send_message(_message(mail, notice))


def _connect(scheme: str, host: str, port: int | None, tls: ssl.SSLContext, timeout: float) -> smtplib.SMTP:
    if scheme == "smtps":
        return smtplib.SMTP_SSL(host, port or 465, context=tls, timeout=timeout)
    smtp = smtplib.SMTP(host, port or 25, timeout=timeout)
    smtp.ehlo()
    if smtp.has_extn("starttls"):
        smtp.starttls(context=tls)
        smtp.ehlo()
    return smtp


def _message(mail: MailSettings, notice: Notice) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = mask_secrets(notice.subject)
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.recipients)
    text = mask_secrets(notice.text)
    report = notice.report
    if report is not None and report.is_file() and report.stat().st_size <= mail.max_attach_bytes:
        message.set_content(text)
        message.add_attachment(mask_secrets(report.read_text(encoding="utf-8")), subtype="html",
                               filename=report.name)
    else:
        where = f"\n\nThe report: {report}" if report is not None else ""
        big = " (too large to attach)" if report is not None and report.is_file() else ""
        message.set_content(text + where + big)
    return message


def post_webhook(url: str, notice: Notice, *, secret: str | None = None, attempts: int = WEBHOOK_ATTEMPTS,
                 sleep: Callable[[float], None] = time.sleep, timeout_s: float = 10.0) -> None:
    """POST the summary as JSON, signed when `secret` is set; tried again with a growing wait, then raises."""
    body = mask_secrets(json.dumps(notice.summary, ensure_ascii=False, sort_keys=True)).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    wait = WEBHOOK_FIRST_WAIT_S
    for attempt in range(1, attempts + 1):
        try:
            answer = httpx.post(url, content=body, headers=headers, timeout=timeout_s)
            if answer.status_code < 500:
                answer.raise_for_status()
                return
            problem: Exception = httpx.HTTPStatusError(f"{answer.status_code}", request=answer.request,
                                                       response=answer)
        except httpx.TransportError as exc:
            problem = exc
        if attempt == attempts:
            raise problem
        sleep(wait)
        wait *= 2


def signature(secret: str, body: bytes) -> str:
    """The header value a receiver checks: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notify_run(settings: Settings, summary: RunSummary, report: Path | None) -> Outcome:
    """Tell the operator of one run by every channel the settings name (nothing when none is named)."""
    return notify_settings(settings, run_notice(summary, report, settings.email))


def missed_night_notice(account: str, last_night: str | None, last_morning: str) -> Notice:
    """The morning sync's word that no nightly run finished since the previous morning sync (ISO times)."""
    since = f"the last finished {last_night}" if last_night else "none has finished yet"
    head = f"ippbot {account}: no nightly run finished since the morning sync of {last_morning}"
    text = (f"{head} ({since}).\n\nIs `ippbot worker` (or the cron job, or the systemd timer) running? "
            "The queue waits: nothing was filed overnight.")
    data = {"event": "missed_night", "account": account, "last_night": last_night, "last_morning": last_morning}
    return Notice(subject=head, text=text, summary=data)


def sync_notice(view: AccountView, report: Path | None) -> Notice | None:
    """The morning sync's notice when it found something for the operator (counter-notices to answer,
    entries to settle, IPRs expiring), or None when nothing waits."""
    if not (view.notices or view.attention or view.expiring):
        return None
    head = (f"ippbot {view.account}: {len(view.notices)} counter-notices to answer, "
            f"{len(view.attention)} entries need you, {len(view.expiring)} IPRs expire soon")
    lines = [head, ""]
    lines += [f"- counter-notice {n.complaint} {n.url}: by {n.deadline or '?'} ({n.days_left} working days) -> "
              f"{n.command}" for n in view.notices]
    lines += [f"- {a.name} ({a.key}): {a.state}: {a.reason} -> {a.command}" for a in view.attention]
    lines += [f"- IPR {e.name} expires {e.expires} ({e.days_left} days)" for e in view.expiring]
    data = {"event": "sync", "account": view.account, "counter_notices": len(view.notices),
            "needs_operator": len(view.attention), "expiring": len(view.expiring)}
    return Notice(subject=head, text="\n".join(lines), summary=data, report=report)


def notify_settings(settings: Settings, notice: Notice) -> Outcome:
    """Send a notice by every channel the settings name (nothing when none is named); never raises."""
    recipients = [e.strip() for e in (settings.notify_email or "").split(",") if e.strip()]
    mail = MailSettings(url=settings.smtp_url, recipients=recipients, sender=settings.notify_from,
                        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                        max_attach_bytes=int(settings.notify_max_attach_mb * 1024 * 1024)) \
        if settings.smtp_url and recipients else None
    if mail is None and not settings.notify_webhook:
        return Outcome()
    secret = settings.notify_webhook_secret.get_secret_value() if settings.notify_webhook_secret else None
    return notify(notice, mail=mail, webhook=settings.notify_webhook, webhook_secret=secret)


def notify(notice: Notice, *, mail: MailSettings | None, webhook: str | None, webhook_secret: str | None = None,
           log: FilteringBoundLogger | None = None, sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Send the notice by every channel configured; a failure is logged and reported, never raised."""
    log = log or structlog.get_logger("ippbot.notify")
    outcome = Outcome()
    channels: list[tuple[str, Callable[[], None]]] = []
    if mail is not None and mail.recipients:
        channels.append(("mail", lambda: send_mail(mail, notice)))
    if webhook:
        channels.append(("webhook", lambda: post_webhook(webhook, notice, secret=webhook_secret, sleep=sleep)))
    for name, send in channels:
        try:
            send()
        except Exception as exc:  # a notification never fails the run: say it, and go on
            problem = f"{name}: {mask_secrets(first_line(exc))}"
            log.warning("notify.failed", channel=name, error=problem)
            outcome.problems.append(problem)
        else:
            log.info("notify.sent", channel=name)
            outcome.sent.append(name)
    return outcome
