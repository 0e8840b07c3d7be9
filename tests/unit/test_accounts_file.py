"""The accounts file (`IPPBOT_ACCOUNTS_FILE`) and batches naming their account: who files what, and clear refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.accounts import accounts, configured_emails, load_accounts
from bot.commands import cli
from bot.errors import ConfigError, InputError
from bot.settings import Settings
from bot.store.ledger import Ledger

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("isolated", "cli_env")]  # tests/unit/conftest.py

DOCS = Path(__file__).resolve().parents[2] / "fixtures" / "documents"
TWO = """
[[account]]
email = "ACME@agency.example"
password_env = "ACME_PW"
complainant_name = "ACME Ltd"
submissions_per_minute = 6

[[account]]
email = "zeta@agency.example"
password_file = "secrets/zeta"
"""


def accounts_file(tmp_path: Path, text: str = TWO) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "secrets").mkdir(exist_ok=True)
    (tmp_path / "secrets" / "zeta").write_text("zeta-secret\n", encoding="utf-8")
    return path


def test_each_account_works_with_its_own_email_password_and_details(
        tmp_path: Path, cli_env: pytest.MonkeyPatch) -> None:
    """Each account's Settings: its email (as the portal reads it), its password from its source, its details."""
    cli_env.setenv("ACME_PW", "acme-secret")
    settings = Settings(accounts_file=accounts_file(tmp_path), complainant_name="Shared Ltd")
    acme, zeta = accounts(settings)
    assert (acme.email, acme.password.get_secret_value(), acme.complainant_name) == \
        ("acme@agency.example", "acme-secret", "ACME Ltd")
    assert acme.submissions_per_minute == 6
    assert (zeta.email, zeta.password.get_secret_value(), zeta.complainant_name) == \
        ("zeta@agency.example", "zeta-secret", "Shared Ltd")
    assert acme.session_file != zeta.session_file
    assert [s.email for s in accounts(settings, "Zeta@agency.example")] == ["zeta@agency.example"]


def test_without_an_accounts_file_the_configured_account_is_the_only_one() -> None:
    """No accounts file: IPPBOT_EMAIL's account, as before."""
    settings = Settings(email="brand@example.com")
    assert accounts(settings) == [settings]
    assert configured_emails(settings) == ["brand@example.com"]
    with pytest.raises(InputError, match=re.escape("account other@example.com is not in IPPBOT_EMAIL")):
        accounts(settings, "other@example.com")


@pytest.mark.parametrize(("text", "said"), [
    ('[[account]]\nemail = "a@x.example"\n', "give exactly one of password_env"),
    ('[[account]]\nemail = "a@x.example"\npassword_env = "A"\npassword_file = "f"\n', "give exactly one of"),
    ('[[account]]\nemail = "a@x.example"\npassword = "hunter2"\n', "password: Extra inputs are not permitted"),
    ('[[account]]\nemail = "a@x.example"\npassword_env = "A"\n[[account]]\nemail = "A@x.example"\npassword_env = "B"\n',
     "account a@x.example is given twice"),
    ("[account]\nemail = 1\n", "one [[account]] table per account"),
    ("not toml at all = = =\n", "not TOML"),
])
def test_a_bad_accounts_file_is_bad_input_naming_the_account(tmp_path: Path, text: str, said: str) -> None:
    """Malformed accounts files are refused (exit 2) with the file, the account and the key."""
    with pytest.raises(InputError, match="bad accounts file") as refused:
        load_accounts(accounts_file(tmp_path, text))
    assert said in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_a_missing_secret_is_an_environment_problem(tmp_path: Path) -> None:
    """A password variable not set, or a password file missing: exit 3, naming the account and the fix."""
    settings = Settings(accounts_file=accounts_file(tmp_path))
    unset = "account acme@agency.example: its password variable ACME_PW is not set"
    with pytest.raises(ConfigError, match=re.escape(unset)):
        accounts(settings)
    (tmp_path / "secrets" / "zeta").unlink()
    with pytest.raises(ConfigError, match="cannot read its password file"):
        accounts(settings, "zeta@agency.example")


def batch(path: Path, account: str | None, number: str) -> Path:
    content: dict[str, object] = {"iprs": [{
        "type": "trademark", "name": "ACME", "registration_number": number, "registration_place": "CN",
        "rights_holder": "ACME Ltd", "expiration_date": "2034-05-01", "classes": [9],
        "documents": [str(DOCS / "trademark-certificate.pdf")]}],
        "complaints": [{"platform": "taobao", "ipr": number, "reason": "trademark_misuse",
                        "listings": ["https://item.taobao.com/item.htm?id=1"]}]}
    if account:
        content["account"] = account
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    return path


def enqueue(*argv: str) -> int:
    with pytest.raises(SystemExit) as ended:
        cli.main(["enqueue", *argv])
    return int(ended.value.code or 0)


def test_each_batch_is_filed_by_its_account(tmp_path: Path, cli_env: pytest.MonkeyPatch) -> None:
    """Two rights holders' identical batches are two accounts' entries; a file naming none takes --account."""
    cli_env.setenv("IPPBOT_ACCOUNTS_FILE", str(accounts_file(tmp_path)))
    cli_env.setenv("IPPBOT_EMAIL", "acme@agency.example")
    assert enqueue(str(batch(tmp_path / "acme.yaml", "acme@agency.example", "30612345")),
                   str(batch(tmp_path / "zeta.yaml", "zeta@agency.example", "30612345"))) == 0
    assert enqueue("--account", "zeta@agency.example", str(batch(tmp_path / "more.yaml", None, "30699999"))) == 0
    with Ledger(f"sqlite:///{tmp_path / '.ippbot' / 'ledger.sqlite3'}") as ledger:
        by_account: dict[str | None, int] = {}
        for row in ledger.rows():
            account = ledger.get(row.key).account
            by_account[account] = by_account.get(account, 0) + 1
    assert by_account == {"acme@agency.example": 2, "zeta@agency.example": 4}


def test_a_batch_for_an_account_not_configured_adds_nothing(
        tmp_path: Path, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A batch naming an account that is not in the accounts file: exit 2, the file, the account and the fix."""
    cli_env.setenv("IPPBOT_ACCOUNTS_FILE", str(accounts_file(tmp_path)))
    good = batch(tmp_path / "acme.yaml", "acme@agency.example", "30612345")
    assert enqueue(str(good), str(batch(tmp_path / "omega.yaml", "omega@agency.example", "30612345"))) == 2
    said = capsys.readouterr().err
    assert "omega.yaml: account: account omega@agency.example is not in the accounts file" in said
    assert "add an [[account]] for it" in said
    assert not (tmp_path / ".ippbot" / "ledger.sqlite3").exists() or \
        Ledger(f"sqlite:///{tmp_path / '.ippbot' / 'ledger.sqlite3'}").rows() == []


def test_a_complaint_rests_on_an_ipr_of_its_own_account(
        tmp_path: Path, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A complaint of one account on an IPR another account files in the same enqueue is refused."""
    cli_env.setenv("IPPBOT_ACCOUNTS_FILE", str(accounts_file(tmp_path)))
    acme = batch(tmp_path / "acme.yaml", "acme@agency.example", "30612345")
    zeta = tmp_path / "zeta.yaml"
    zeta.write_text(yaml.safe_dump({"account": "zeta@agency.example", "complaints": [{
        "platform": "taobao", "ipr": "30612345", "reason": "trademark_misuse",
        "listings": ["https://item.taobao.com/item.htm?id=2"]}]}), encoding="utf-8")
    assert enqueue(str(acme), str(zeta)) == 2
    assert "zeta.yaml: complaints[0].ipr: IPR 30612345 is filed on account acme@agency.example" in \
        capsys.readouterr().err
