"""Accounts: the portal accounts ippbot files for, from `IPPBOT_ACCOUNTS_FILE`, each as a `Settings` of its own.

An agency files for many rights holders, each on its own portal account. The accounts file
is TOML with one ``[[account]]`` table per account::

    [[account]]
    email = "acme@agency.example"
    password_env = "ACME_PORTAL_PASSWORD"      # or password_file = "/run/secrets/acme"
    complainant_name = "ACME Ltd"              # any registration detail of Settings
    submissions_per_minute = 6                 # optional: this account's own rate limit
    notify_email = ["legal@acme.example"]      # optional: who hears of this account's nights

Where a password comes from is named, never the password itself: an account with neither
`password_env` nor `password_file` (or with both) is bad input (`InputError`, exit 2), as is
an unknown key or a duplicate email; a password variable that is not set or a file that
cannot be read is a missing secret (`ConfigError`, exit 3). Without an accounts file the one
account of `IPPBOT_EMAIL` / `IPPBOT_PASSWORD` is the only one, as before.

`account_settings` gives each account its `Settings`: the shared ones (portal, data dir,
browser, retries) with the account's email, password and registration details on top, so
every command and flow works one account exactly as it works the configured one.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from bot.errors import ConfigError, InputError
from bot.settings import IdentityType, Location, RegistrantCategory, Settings

__all__ = ["Account", "account_settings", "account_sources", "accounts", "configured_emails", "load_accounts",
           "unknown_account"]

DETAILS = ("phone", "contact_email", "location", "identity_type", "registrant_category", "complainant_name",
           "identity_document", "submissions_per_minute")


class Account(BaseModel):
    """One `[[account]]` of the accounts file: who, where the password comes from, its own details."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Annotated[str, Field(min_length=3)]
    password_env: str | None = None
    password_file: Path | None = None
    phone: str | None = None
    contact_email: str | None = None
    location: Location | None = None
    identity_type: IdentityType | None = None
    registrant_category: RegistrantCategory | None = None
    complainant_name: str | None = None
    identity_document: Path | None = None
    submissions_per_minute: Annotated[float, Field(gt=0)] | None = None
    notify_email: tuple[str, ...] = ()

    @field_validator("email")
    @classmethod
    def _as_the_portal_reads_it(cls, value: str) -> str:
        return value.strip().lower()

    @model_validator(mode="after")
    def _one_password_source(self) -> Account:
        if (self.password_env is None) == (self.password_file is None):
            raise ValueError("give exactly one of password_env (a variable's name) or password_file (a path); "
                             "never the password itself")
        return self

    def password(self) -> SecretStr:
        """The account's password from its source; `ConfigError` (exit 3) when the secret is missing."""
        if self.password_env is not None:
            value = os.environ.get(self.password_env, "").strip()
            if not value:
                raise ConfigError(f"account {self.email}: its password variable {self.password_env} is not set; "
                                  f"export {self.password_env}=... (the accounts file names it)")
            return SecretStr(value)
        assert self.password_file is not None
        try:
            value = self.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"account {self.email}: cannot read its password file {self.password_file}: "
                              f"{exc.strerror or exc}") from None
        if not value:
            raise ConfigError(f"account {self.email}: its password file {self.password_file} is empty")
        return SecretStr(value)


def load_accounts(path: Path) -> list[Account]:
    """Every account of the file, in its order; `InputError` naming the file, the account and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"IPPBOT_ACCOUNTS_FILE {path}: cannot read it: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"bad accounts file {path}: not TOML: {exc}") from None
    tables = data.get("account")
    if set(data) - {"account"} or not isinstance(tables, list) or not tables:
        raise InputError(f"bad accounts file {path}: it must hold one [[account]] table per account, and only those")
    found = [_account(path, index, table) for index, table in enumerate(tables)]
    _no_twice(path, found)
    return [_relative(account, path.parent) for account in found]


def accounts(settings: Settings, only: str | None = None) -> list[Settings]:
    """The `Settings` of each account to work: all of the accounts file's (or the one configured
    account without a file), narrowed to `only` (`--account EMAIL`) when given. Only the passwords
    of the accounts chosen are read."""
    return [settings_of() for _, settings_of in account_sources(settings, only)]


def account_sources(settings: Settings, only: str | None = None) -> list[tuple[str, Callable[[], Settings]]]:
    """Each account to work, by email, with how to make its `Settings` (reading its password then, so a
    missing secret stops that account alone); narrowed to `only`, which must be configured (`InputError`)."""
    listed = load_accounts(settings.accounts_file) if settings.accounts_file is not None else None
    emails = [a.email for a in listed] if listed is not None else [settings.email]
    wanted = only.strip().lower() if only is not None else None
    if wanted is not None and wanted not in emails:
        raise InputError(unknown_account(settings, wanted, emails))
    if listed is None:
        return [(settings.email, lambda: settings)]
    return [(a.email, partial(account_settings, settings, a)) for a in listed if wanted in (None, a.email)]


def configured_emails(settings: Settings) -> list[str]:
    """The emails of every configured account, without reading any password (for `enqueue` and `status`)."""
    if settings.accounts_file is None:
        return [settings.email]
    return [a.email for a in load_accounts(settings.accounts_file)]


def unknown_account(settings: Settings, email: str, known: list[str]) -> str:
    """The one line for an account ippbot is not configured for, with the fix."""
    where = f"the accounts file {settings.accounts_file}" if settings.accounts_file else "IPPBOT_EMAIL"
    fix = "add an [[account]] for it" if settings.accounts_file else "set IPPBOT_ACCOUNTS_FILE, or IPPBOT_EMAIL to it"
    return f"account {email} is not in {where} (known: {', '.join(known)}); {fix}"


def account_settings(settings: Settings, account: Account) -> Settings:
    """`settings` as `account` works: its email, its password (read now) and its registration details."""
    details: dict[str, Any] = {k: getattr(account, k) for k in DETAILS if getattr(account, k) is not None}
    told = [e.strip() for e in (settings.notify_email or "").split(",") if e.strip()] + list(account.notify_email)
    if told:
        details["notify_email"] = ", ".join(dict.fromkeys(told))
    return settings.model_copy(update={"email": account.email, "password": account.password(), **details})


def _account(path: Path, index: int, table: Any) -> Account:
    if not isinstance(table, dict):
        raise InputError(f"bad accounts file {path}: account[{index}] is not a table")
    try:
        return Account.model_validate(table)
    except ValidationError as exc:
        who = table.get("email", f"account[{index}]")
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'account'}: {e['msg']}"
                             for e in exc.errors(include_input=False, include_url=False))
        raise InputError(f"bad accounts file {path}: account {who}: {problems}") from None


def _no_twice(path: Path, found: list[Account]) -> None:
    seen: set[str] = set()
    for account in found:
        if account.email in seen:
            raise InputError(f"bad accounts file {path}: account {account.email} is given twice")
        seen.add(account.email)


def _relative(account: Account, base: Path) -> Account:
    """Paths in the file are relative to it, as a batch's are."""
    update = {k: base / v for k in ("password_file", "identity_document")
              if isinstance(v := getattr(account, k), Path) and not v.is_absolute()}
    return account.model_copy(update=update) if update else account
