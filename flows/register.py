"""The registration flow: fill the wizard, enter the emailed code, upload the identity document.

The code comes from the mock portal's mailbox when the portal is the mock; against any other
portal a headed run waits for the operator to type it, and a headless one needs a human.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bot.errors import NeedsHuman, PortalRejected
from bot.logs import register_secret, step
from flows.context import FlowContext
from flows.pages.account import IdentityPage, RegisterPage, VerifyPage
from flows.session import login, save_session

CodeReader = Callable[[str], str | None]
DOC_TYPE = {"enterprise": "business_registration", "individual": "passport"}


def mock_mailbox(base_url: str) -> CodeReader:
    """Reads the newest code from the mock portal's mailbox; None when the portal has none."""

    def read(email: str) -> str | None:
        try:
            answer = httpx.get(f"{base_url}/__mock/mailbox", params={"email": email}, timeout=10)
            messages = answer.json() if answer.status_code == 200 else []
        except (httpx.HTTPError, ValueError):
            return None
        code = next((m.get("code") for m in messages if isinstance(m, dict) and m.get("code")), None)
        register_secret(code)
        return code

    return read


def register(ctx: FlowContext, read_code: CodeReader) -> str:
    """Register the configured account; returns "registered", or "existing" when it was already there."""
    s = ctx.settings
    page = RegisterPage(ctx)
    with step(ctx.log, "register", "fill"):
        page.open()
        page.fill_account(location=s.location, identity_type=s.identity_type,
                          registrant_category=s.registrant_category, complainant_name=s.complainant_name,
                          email=s.email, contact_email=s.resolved_contact_email(),
                          password=s.password.get_secret_value(), phone=s.phone)
    try:
        with step(ctx.log, "register", "agree_and_register"):
            page.agree_and_register()
    except PortalRejected as exc:
        if "login_email" not in exc.field_errors:
            raise
        login(ctx)
        return "existing"
    _verify(ctx, read_code)
    _upload_identity(ctx)
    save_session(ctx.page.context, s.session_file)
    return "registered"


def _verify(ctx: FlowContext, read_code: CodeReader) -> None:
    page = VerifyPage(ctx)
    with step(ctx.log, "register", "verify"):
        code = read_code(ctx.settings.email)
        if code:
            page.enter_code(code)
        elif not ctx.settings.headless and ctx.pause("type the 6-digit code from the email"):
            page.wait_for_operator(timeout_ms=ctx.settings.pause_timeout_s * 1000)
        else:
            raise NeedsHuman("the verification code was emailed; a person must type it (run --headed)")


def _upload_identity(ctx: FlowContext) -> None:
    with step(ctx.log, "register", "identity"):
        page = IdentityPage(ctx)
        page.open()
        page.upload(DOC_TYPE[ctx.settings.identity_type], ctx.settings.resolved_identity_document())
