"""An agency: several accounts in one accounts file, one data dir and one ledger, each with its own batch,
worked by one `ippbot run`.

Every entry lands exactly once on its own account (the portal's records say whose it is), the
accounts take turns, one that cannot run (its password not set) never stops the others, and no
password appears in what ippbot wrote.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import yaml
from support import MockPortal, Operator, assert_each_once, every_file, make_settings, write_batch

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


def assert_one_page_for_all(stdout: str) -> None:
    """The all-accounts page a command printed names every account and links each one's own report."""
    [page] = [Path(line.removeprefix("all accounts: ")) for line in stdout.splitlines()
              if line.startswith("all accounts: ")]
    html = page.read_text(encoding="utf-8")
    assert all(email in html for email in ACCOUNTS)
    links = re.findall(r'href="([^"]+/report\.html)"', html)
    assert len(set(links)) == len(ACCOUNTS) and all((page.parent / link).is_file() for link in links)


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
    assert_one_page_for_all(done.stdout)
    synced = operator.ippbot("sync", check=True).stdout
    assert synced.count("report: ") == len(ACCOUNTS)
    assert_one_page_for_all(synced)
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


def test_a_429_on_one_account_holds_that_account_alone(portal: MockPortal, tmp_path: Path) -> None:
    """A 429 with a long Retry-After met by one account's run: the account sends nothing until then, in that run and
    the next, whose other accounts' work is done; `run` and `status` say until when."""
    held, other = ACCOUNTS[0], ACCOUNTS[1]
    operator = agency(portal, tmp_path)
    for email in (held, other):
        operator.ippbot("account", "register", "--account", email, check=True)
    paths = batches(tmp_path)
    operator.ippbot("enqueue", paths[0], check=True)
    portal.faults(rate_limit=6, rate_window_s=3600)  # a few requests, then 429 with a Retry-After of about an hour
    first = operator.ippbot("run", "--account", held)
    assert first.returncode == 1 and portal.fired().get("rate_limit") == 1  # told once, and it stopped asking
    assert "the portal asked this account to wait until " in first.stdout
    portal.faults()  # the portal would answer now: the account still waits as it was told
    filed_before = per_account(portal)
    operator.ippbot("enqueue", paths[1], check=True)
    second = operator.ippbot("run")
    assert second.returncode == 1  # the held account's work is not done
    lines = second.stdout.splitlines()
    assert [line for line in lines if line.startswith("account ")] == [f"account {held}:", f"account {other}:"]
    assert "0 entries worked" in lines[1] and "the portal asked this account to wait until " in lines[1]
    assert per_account(portal) == filed_before + Counter({other: ENTRIES})
    assert Counter(row["state"] for row in operator.status() if row["account"] == held) == \
        {"pending": ENTRIES - filed_before[held], "confirmed": filed_before[held]}
    assert f"account {held} waits until " in operator.ippbot("status", check=True).stdout


def test_a_slider_on_one_account_parks_that_account_alone(portal: MockPortal, tmp_path: Path) -> None:
    """One account must log in again and meets the slider: its entries wait, as they were, for a person to log it
    in (its line says how), and the others finish."""
    parked = ACCOUNTS[2]
    operator = agency(portal, tmp_path)
    for email in ACCOUNTS[:3]:
        operator.ippbot("account", "register", "--account", email, check=True)
    operator.ippbot("enqueue", *batches(tmp_path)[:3], check=True)
    make_settings(portal.url, operator.data_dir, email=parked).session_file.unlink()
    portal.faults(captcha_login="on")
    done = operator.ippbot("run")
    assert done.returncode == 1
    assert per_account(portal) == dict.fromkeys(ACCOUNTS[:2], ENTRIES)
    assert {row["state"] for row in operator.status() if row["account"] == parked} == {"pending"}
    assert (f"ippbot: account {parked}: the portal shows a slider check meant for a person" in done.stderr
            and f"`ippbot account login --account {parked} --headed --pause-on-failure`" in done.stderr)
