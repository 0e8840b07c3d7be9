"""The log-in flow and the stored session: log in once, keep the session (mode 0600), reuse it.

Each account has its own stored session (`Settings.session_file`), and the pre-flight check
makes sure the portal's User Center shows the configured account before anything is filed.
"""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import BrowserContext

from bot.errors import SessionExpired
from bot.files import PRIVATE, write_atomically
from bot.logs import register_secret, step
from flows.context import FlowContext
from flows.pages.account import LoginPage, UserPage


def login(ctx: FlowContext) -> None:
    """Log in with the configured account and store the session for the next contexts."""
    with step(ctx.log, "login", "log_in"):
        page = LoginPage(ctx)
        page.open()
        page.log_in(ctx.settings.email, ctx.settings.password.get_secret_value())
    save_session(ctx.page.context, ctx.settings.session_file)


def ensure_session(ctx: FlowContext) -> None:
    """The pre-flight check: open the User Center; log in again if the session has expired or
    is another account's (a session of the wrong account would file on that account).
    """
    with step(ctx.log, "login", "check_session"):
        try:
            user = UserPage(ctx)
            user.open()
            shown = user.login_email()
        except SessionExpired:
            ctx.log.info("session.expired")
        else:
            if same_account(shown, ctx.settings.email):
                return
            ctx.log.warning("session.other_account", shown=shown, account=ctx.settings.email)
            ctx.page.context.clear_cookies()  # drop the other account's session before logging in
    login(ctx)


def same_account(shown: str, email: str) -> bool:
    """Whether the email a page shows is the configured account's (the portal ignores case)."""
    return shown.strip().lower() == email.strip().lower()


def save_session(context: BrowserContext, path: Path) -> None:
    """Write the context's cookies to `path`, readable by its owner only, in an owner-only folder."""
    state = context.storage_state()
    for cookie in state.get("cookies", []):
        register_secret(cookie.get("value"))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    write_atomically(path, json.dumps(state), mode=PRIVATE)


def stored_session(path: Path) -> Path | None:
    """The stored session file, when there is one (its cookies registered as secrets)."""
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    for cookie in state.get("cookies", []):
        register_secret(cookie.get("value"))
    return path
