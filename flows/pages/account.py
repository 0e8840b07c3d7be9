"""Page objects of the account pages: log-in, registration, the code, the identity document."""

from __future__ import annotations

from pathlib import Path

from flows.pages.base import PortalPage


class LoginPage(PortalPage):
    """`/login.htm`: email, password, "Log in"."""

    name = "login"

    def log_in(self, email: str, password: str) -> None:
        """Fill the form and log in; the slider, when shown, goes to the operator."""
        self.fill("email", email)
        self.fill("password", password)
        self.hand_over_human_check("log_in")
        self.click_and_wait("submit", "log_in")


class RegisterPage(PortalPage):
    """`/register.htm`: the registration wizard, then "Agree and register"."""

    name = "register"

    def fill_account(self, *, location: str, identity_type: str, registrant_category: str,
                     complainant_name: str, email: str, contact_email: str, password: str, phone: str) -> None:
        """Fill every field of the form as the account's settings say."""
        self.choose("location", location)
        self.pick("identity_type", identity_type)
        self.pick("registrant_category", registrant_category)
        self.fill("complainant_name", complainant_name)
        self.fill("login_email", email)
        if contact_email != email:
            self.fill("contact_email", contact_email)
        self.fill("password", password)
        self.fill("password_confirm", password)
        self.fill("phone", phone)
        self.el("agree").check()

    def agree_and_register(self) -> None:
        """Hand any slider check to the operator, then register."""
        self.hand_over_human_check("register")
        self.click_and_wait("submit", "register")


class VerifyPage(PortalPage):
    """The 6-digit code step."""

    name = "verify"

    def enter_code(self, code: str) -> None:
        """Type the code and verify it."""
        self.fill("code", code)
        self.click_and_wait("submit", "verify")

    def wait_for_operator(self, timeout_ms: float) -> None:
        """Let the operator type the code in a headed run; returns once the page moves on."""
        self.page.wait_for_url(lambda url: "/register/verify" not in url, timeout=timeout_ms)


class IdentityPage(PortalPage):
    """`/user/identity`: the identity document upload."""

    name = "identity"

    def upload(self, doc_type: str, document: Path) -> None:
        """Choose the document's kind, attach it and send it."""
        self.choose("doc_type", doc_type)
        self.attach("document", [document])
        self.click_and_wait("submit", "upload_identity")


class UserPage(PortalPage):
    """`/user`, the User Center: the account logged in and its status."""

    name = "user"

    def account_status(self) -> str:
        """The account's status as the portal's data attribute gives it."""
        return self.el("account_status").get_attribute("data-status") or ""

    def login_email(self) -> str:
        """The email of the account this session is logged in as, as the page shows it."""
        return self.el("login_email").inner_text().strip()
