"""Settings: ippbot's whole configuration, read from `IPPBOT_*` variables, `.env` and defaults.

The CLI builds one `Settings` with `load_settings()` and hands it down; no module keeps a
settings object of its own. The defaults suit the mock portal (`ippbot portal serve`), so
`make demo` runs with no configuration at all; a real account sets at least `IPPBOT_EMAIL`
and `IPPBOT_PASSWORD`.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_IDENTITY_DOCUMENT = REPO_ROOT / "fixtures" / "documents" / "identity.pdf"
DEFAULT_SELECTORS_DIR = REPO_ROOT / "selectors"

# The mock portal's demo account password: public on purpose, useless anywhere else.
DEMO_PASSWORD = "Ippbot-Demo-2026"  # noqa: S105

Location = Literal["mainland_china", "hong_kong", "taiwan", "others"]
IdentityType = Literal["individual", "enterprise"]
RegistrantCategory = Literal["right_holder", "authorized_agent"]
TraceMode = Literal["off", "on", "retain-on-failure"]
LogFormat = Literal["auto", "json", "console"]
CounterNoticePolicy = Literal["ask", "reject", "accept"]  # as bot.models' (settings import no models)


class Settings(BaseSettings):
    """Everything ippbot can be told. Field `x` is read from `IPPBOT_X` or `.env`."""

    model_config = SettingsConfigDict(
        env_prefix="IPPBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # `IPPBOT_X=` means "use the default", not an empty path
        extra="ignore",
    )

    # The portal and the account.
    portal_url: str = "http://127.0.0.1:8765"
    email: str = "brand@example.com"
    password: SecretStr = SecretStr(DEMO_PASSWORD)
    phone: str = "+86 138 0000 0000"
    contact_email: str | None = None
    location: Location = "others"
    identity_type: IdentityType = "enterprise"
    registrant_category: RegistrantCategory = "right_holder"
    complainant_name: str = "Demo Brand Ltd"
    identity_document: Path | None = None
    accounts_file: Path | None = None  # several accounts: one [[account]] each (bot.accounts)
    submissions_per_minute: float | None = Field(default=None, gt=0)  # the account's own pace; None: as the portal lets

    # Where things live.
    data_dir: Path = Path(".ippbot")
    queue_url: str | None = None
    ledger_url: str | None = None  # a fleet's: postgresql+psycopg://user@host/db (default: SQLite in the data dir)
    # How long an account's lease lasts unless its run renews it (a killed worker's accounts wait this long);
    # a worker's heartbeat and its queue's stalled-job threshold follow from it (bot.store.fleet_times).
    lease_ttl_s: float = Field(default=300.0, ge=2)
    selectors_dir: Path | None = None

    # The browser.
    browser_path: Path | None = None
    headless: bool = True
    slow_mo_ms: int = Field(default=0, ge=0)
    timeout_ms: int = Field(default=15_000, gt=0)
    trace: TraceMode = "retain-on-failure"
    har: bool = False
    pause_on_failure: bool = False
    pause_timeout_s: float = Field(default=600.0, gt=0)  # how long a paused run waits for the operator

    # Retries.
    retry_attempts: int = Field(default=5, ge=1)
    retry_base_s: float = Field(default=1.0, gt=0)
    retry_max_s: float = Field(default=60.0, gt=0)

    # The batch.
    max_attempts: int = Field(default=5, ge=1)
    schedule: str = "0 1 * * *"
    sweep_minutes: int = Field(default=10, ge=1)
    sync_schedule: str = "0 7 * * *"  # the worker's morning sync and report (cron expression)
    timezone: str | None = None  # the IANA zone both schedules are read in; None: the machine's

    # After a run: who is told, and how long its folder is kept.
    notify_email: str | None = None  # comma-separated recipients (an account may add its own)
    smtp_url: str | None = None  # smtp://[user@]host:port (STARTTLS when offered) or smtps://...
    smtp_password: SecretStr | None = None
    notify_from: str = "ippbot@localhost"
    notify_webhook: str | None = None  # receives the run's summary as JSON
    notify_webhook_secret: SecretStr | None = None  # signs it: X-Ippbot-Signature: sha256=<HMAC>
    notify_max_attach_mb: float = Field(default=5.0, gt=0)
    keep_runs_days: int = Field(default=30, ge=0)  # 0 keeps every run folder

    # The wait: what `ippbot sync` answers of the counter-notices no one answered.
    counter_notice_policy: CounterNoticePolicy = "ask"  # ask (remind), reject or accept; a complaint may override it
    counter_notice_policy_days: int = Field(default=1, ge=0)  # only within this many working days of the deadline

    # Logs.
    log_format: LogFormat = "auto"
    log_level: str = "info"

    @model_validator(mode="before")
    @classmethod
    def _blank_means_unset(cls, data: Any) -> Any:
        # `IPPBOT_X=`, `IPPBOT_X=""` and `IPPBOT_X="  "` all mean "use the default" (env_ignore_empty
        # alone lets a blank through: an email of "" would log in as nobody)
        if isinstance(data, dict):
            return {name: value for name, value in data.items() if not (isinstance(value, str) and not value.strip())}
        return data

    @field_validator("portal_url")
    @classmethod
    def _portal_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("email")
    @classmethod
    def _email_as_the_portal_reads_it(cls, value: str) -> str:
        # the portal ignores case: one account, one ledger lease and one session, however it is typed
        return value.strip().lower()

    @field_validator("log_level")
    @classmethod
    def _log_level_is_known(cls, value: str) -> str:
        if value.upper() not in logging.getLevelNamesMapping():
            raise ValueError("must be one of debug, info, warning, error, critical")
        return value.lower()

    @field_validator("timezone")
    @classmethod
    def _timezone_is_known(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"{value!r} is not a known time zone (an IANA name such as Europe/Berlin)") from exc
        return value

    @model_validator(mode="after")
    def _base_below_max(self) -> Settings:
        if self.retry_base_s > self.retry_max_s:
            raise ValueError("retry_base_s must not exceed retry_max_s")
        return self

    @property
    def session_file(self) -> Path:
        """The stored log-in session (Playwright storage state) of the configured account.

        One file per account (`session/<email>.json`), so a data dir shared by several accounts
        never hands one account's session to another's run.
        """
        return self.data_dir / "session" / session_file_name(self.email)

    @property
    def runs_dir(self) -> Path:
        """Where each run's artifacts go, one folder per run id."""
        return self.data_dir / "runs"

    @property
    def email_is_default(self) -> bool:
        """Whether no IPPBOT_EMAIL was given (nor `.env`'s): the mock portal's demo account is used."""
        return "email" not in self.model_fields_set

    def resolved_contact_email(self) -> str:
        """The contact email, which defaults to the log-in email."""
        return self.contact_email or self.email

    def resolved_identity_document(self) -> Path:
        """The identity document to upload; defaults to the sample in `fixtures/`."""
        return self.identity_document or SAMPLE_IDENTITY_DOCUMENT

    def resolved_selectors_dir(self) -> Path:
        """The folder of selector files; defaults to the repository's `selectors/`."""
        return self.selectors_dir or DEFAULT_SELECTORS_DIR


def session_file_name(email: str) -> str:
    """A file name of its own for each account: the email, lower-cased (the portal ignores case),
    with anything but letters, digits and ``@._+-`` percent-encoded, so no two accounts share a name.

    A name too long for a file system (over 200 characters once encoded) is cut, with a hash
    of the whole email appended to keep it unique.
    """
    name = quote(email.strip().lower(), safe="@._+-")
    if len(name) > 200:
        name = f"{name[:150]}-{hashlib.sha256(name.encode()).hexdigest()[:32]}"
    return f"{name}.json"


def load_settings(**overrides: Any) -> Settings:
    """Build `Settings` from the environment and `.env`, with `overrides` (CLI options) on top.

    Overrides that are None are ignored, so CLI options left unset keep the configured value.
    Raises `ConfigError` naming each bad variable, without echoing its value.
    """
    given = {name: value for name, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = error["loc"]
        name = f"IPPBOT_{str(loc[0]).upper()}" if loc else "settings"
        problems.append(f"{name}: {error['msg']}")
    return "bad settings: " + "; ".join(problems)
