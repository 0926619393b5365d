"""Single sign-on in Chromium: Streamlit's st.login against a real (local) OpenID Connect
provider. The person the provider vouches for opens the user their e-mail address is linked
to, stays signed in across a reload (Streamlit's identity cookie), and signs out for real;
an address linked to nobody, or one the provider has not verified, opens nothing."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys

import pytest

from tests.oidc_provider import Provider

pytestmark = pytest.mark.e2e

EMAIL = "eleni.markou@aerolume.example"


def _secrets(path, idp: Provider) -> str:
    cookie_secret = secrets.token_hex(32)
    path.write_text(f"""
[auth]
redirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"
cookie_secret = "{cookie_secret}"
client_id = "{idp.client_id}"
client_secret = "{idp.client_secret}"
server_metadata_url = "{idp.metadata_url}"
""", encoding="utf-8")
    return cookie_secret


def _back_home(page, url: str) -> None:
    """Signing out of single sign-on goes through /auth/logout and back: wait for the trip
    to end and the sign-in form to be drawn again."""
    from playwright.sync_api import expect

    page.wait_for_url(f"{url}/", timeout=30_000)
    expect(page.get_by_role("textbox", name="Password")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Single sign-on did not open")).to_have_count(0, timeout=30_000)


def test_single_sign_on_opens_the_linked_user_and_nobody_else(tmp_path, start_app, page):
    from playwright.sync_api import expect

    db = tmp_path / "demo.duckdb"
    # A user who has no password at all: only the identity provider can open her desk.
    subprocess.run([sys.executable, "-m", "clamor.cli", "users", "add", "Eleni Markou",
                    "--role", "agent", "--email", EMAIL.upper(), "--sso-only", "--demo",
                    "--db", str(db)], check=True, capture_output=True, text=True)
    with Provider() as idp:
        cookie_secret = _secrets(tmp_path / "secrets.toml", idp)
        app = start_app(extra_args=("--secrets", str(tmp_path / "secrets.toml")))
        idp.next_identity = {"email": EMAIL, "email_verified": True, "name": "Eleni M."}

        page.goto(app.url)
        sso = page.get_by_role("button", name="Sign in with single sign-on")
        expect(sso).to_be_visible(timeout=60_000)
        sso.click()
        signed_in = page.get_by_text(re.compile("Signed in as \u2068?Eleni Markou\u2069? · agent"))
        expect(signed_in).to_be_visible(timeout=30_000)
        assert "/authorize" in idp.requests and "/token" in idp.requests  # the real flow

        page.reload()  # the identity cookie keeps her signed in; no form, no provider trip
        expect(signed_in).to_be_visible(timeout=30_000)
        expect(page.get_by_role("textbox", name="Password")).to_have_count(0)

        page.get_by_role("button", name="Sign out").click()
        _back_home(page, app.url)
        page.reload()  # the cookie is gone: signing out is not undone by a reload
        expect(page.get_by_role("textbox", name="Password")).to_be_visible(timeout=30_000)
        expect(page.get_by_text(re.compile("^Signed in as"))).to_have_count(0)

        # An address linked to nobody: vouched for by the provider, but no user here. The
        # provider's words are shown as text, never as Markdown.
        idp.next_identity = {"email": "**mallory**@example.com", "email_verified": True}
        page.get_by_role("button", name="Sign in with single sign-on").click()
        expect(page.get_by_text("which has no access to this desk")).to_be_visible(
            timeout=30_000)
        expect(page.get_by_text("You are signed in as **mallory**@example.com")).to_be_visible()
        expect(page.get_by_text(re.compile("^Signed in as"))).to_have_count(0)
        page.get_by_role("button", name="Sign out of single sign-on").click()
        _back_home(page, app.url)

        # Her address, but the provider says it is not verified.
        idp.next_identity = {"email": EMAIL, "email_verified": False}
        page.get_by_role("button", name="Sign in with single sign-on").click()
        expect(page.get_by_text("has not verified")).to_be_visible(timeout=30_000)
        expect(page.get_by_text(re.compile("^Signed in as"))).to_have_count(0)

        # And her name with any password opens nothing: she has none.
        page.get_by_role("button", name="Sign out of single sign-on").click()
        _back_home(page, app.url)
        page.get_by_role("textbox", name="Name").fill("Eleni Markou")
        page.get_by_role("textbox", name="Password").fill("aerolume-demo")
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_text("That name and password do not match.")).to_be_visible(
            timeout=30_000)

    # The client secret and the cookie secret stay on the server: not in the page, not in
    # the server's log.
    log = (tmp_path / "app.log").read_text(encoding="utf-8")
    for secret in (idp.client_secret, cookie_secret):
        assert secret not in page.content() and secret not in log
