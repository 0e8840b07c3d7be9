"""An agency: several accounts in one accounts file, one data dir and one ledger, each with its own batch,
worked by one `ippbot run`.

Every entry lands exactly once on its own account (the portal's records say whose it is), the
accounts take turns, one that cannot run (its password not set) never stops the others, and no
password appears in what ippbot wrote.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import yaml
from support import MockPortal, Operator, assert_each_once, every_file, write_batch

ACCOUNTS = ["acme@agency.example", "zeta@agency.example", "omega@agency.example", "delta@agency.example",
            "sigma@agency.example"]
PASSWORDS = {email: f"Pw-{email.split('@')[0]}-Canary-7731" for email in ACCOUNTS}
ENTRIES = 3


def accounts_file(tmp_path: Path) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text("".join(
        f'[[account]]\nemail = "{email}"\npassword_env = "PW_{email.split("@")[0].upper()}"\n'
        f'complainant_name = "{email.split("@")[0].title()} Ltd"\n\n' for email in ACCOUNTS), encoding="utf-8")
    return path


def agency(portal: MockPortal, tmp_path: Path, missing: str = "") -> Operator:
    operator = Operator(portal, tmp_path / "data")
    operator.env.update({"IPPBOT_ACCOUNTS_FILE": str(accounts_file(tmp_path))})
    operator.env.update({f"PW_{e.split('@')[0].upper()}": pw for e, pw in PASSWORDS.items() if e != missing})
    operator.env.pop("IPPBOT_PASSWORD", None)
    return operator


def per_account(portal: MockPortal) -> Counter[str]:
    state = portal.state()
    emails = {account["id"]: account["login_email"] for account in state["accounts"]}
    return Counter(emails[ipr["account_id"]] for ipr in state["iprs"])


def batches(tmp_path: Path) -> list[str]:
    paths = []
    for n, email in enumerate(ACCOUNTS):
        path = write_batch(tmp_path / f"{email.split('@')[0]}.yaml", iprs=ENTRIES, start=100 * n)
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        path.write_text(yaml.safe_dump({"account": email, **content}), encoding="utf-8")
        paths.append(str(path))
    return paths


def test_one_run_works_every_account_each_on_its_own(portal: MockPortal, tmp_path: Path) -> None:
    """Five accounts registered from the accounts file, five batches, one run: each entry once, on its own account,
    at most one submission in flight per account."""
    operator = agency(portal, tmp_path)
    for email in ACCOUNTS:
        operator.ippbot("account", "register", "--account", email, check=True)
    operator.ippbot("enqueue", *batches(tmp_path), check=True)
    done = operator.ippbot("run", check=True)
    assert operator.states() == {"confirmed": ENTRIES * len(ACCOUNTS)}
    assert per_account(portal) == dict.fromkeys(ACCOUNTS, ENTRIES)
    assert [line for line in done.stdout.splitlines() if line.startswith("account ")] == \
        [f"account {email}:" for email in ACCOUNTS]
    assert done.stdout.count("report: ") == len(ACCOUNTS)
    assert_each_once(portal, operator)
    assert all(peak <= 1 for peak in portal.state()["max_submissions_in_flight"].values())
    table = operator.ippbot("status", check=True).stdout.splitlines()
    assert table[0].split() == ["ACCOUNT", "ENTRIES", "STATES"]
    assert [line.split() for line in table[1:len(ACCOUNTS) + 1]] == \
        [[email, "3", "3", "confirmed"] for email in sorted(ACCOUNTS)]
    narrowed = operator.ippbot("status", "--json", "--account", "ZETA@agency.example", check=True).stdout
    assert {row["account"] for row in json.loads(narrowed)} == {"zeta@agency.example"}
    written = every_file(operator.data_dir)
    for password in PASSWORDS.values():
        assert not [name for name, data in written if password.encode() in data], password


def test_an_account_without_its_password_never_stops_the_others(portal: MockPortal, tmp_path: Path) -> None:
    """One account's password variable not set: one line naming it, exit 3, and the other accounts' work done."""
    registered = agency(portal, tmp_path)
    for email in ACCOUNTS:
        registered.ippbot("account", "register", "--account", email, check=True)
    registered.ippbot("enqueue", *batches(tmp_path), check=True)
    operator = agency(portal, tmp_path, missing="zeta@agency.example")
    done = operator.ippbot("run")
    assert done.returncode == 3
    assert "ippbot: account zeta@agency.example: its password variable PW_ZETA is not set" in done.stderr
    assert per_account(portal) == {email: ENTRIES for email in ACCOUNTS if email != "zeta@agency.example"}
    assert operator.ippbot("run", "--account", "nobody@agency.example").returncode == 2
