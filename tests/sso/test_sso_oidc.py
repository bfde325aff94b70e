"""A real relying party (Authlib's OAuth2 client, not written here) signs in against the running provider:
authorization code + PKCE, consent, ID token checked against JWKS, userinfo, refresh; and the refusals."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from oauth2_provider.models import get_application_model

from accounts.identity_factories import PASSWORD, authorise, make_enterprise, make_person
from yiwang.accounts import services, sms
from yiwang.accounts.models import RealNameLevel

pytestmark = pytest.mark.django_db(transaction=True)

REDIRECT_URI = "http://rp.example.test/callback"
CLIENT_SECRET = "rp-secret-for-tests-0123456789"


def make_client(*, skip_authorization: bool = False) -> Any:
    Application = get_application_model()
    return Application.objects.create(
        name="区医保系统",
        client_id=f"rp-{Application.objects.count() + 1}",
        client_secret=CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=skip_authorization,
    )


def csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def browser_sign_in(base: str, phone: str) -> requests.Session:
    """The person's browser: password, then the SMS code read from the file gateway."""
    browser = requests.Session()
    page = browser.get(f"{base}/account/signin/")
    response = browser.post(
        f"{base}/account/signin/",
        data={"identifier": phone, "password": PASSWORD, "csrfmiddlewaretoken": csrf(page.text)},
        headers={"Referer": f"{base}/account/signin/"},
    )
    code = sms.latest_code(phone)
    assert code, response.text[:300]
    response = browser.post(
        f"{base}/account/signin/code/",
        data={"code": code, "csrfmiddlewaretoken": csrf(response.text)},
        headers={"Referer": f"{base}/account/signin/code/"},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return browser


def consent(browser: requests.Session, authorize_url: str) -> str:
    """Show the consent screen and allow; return the redirect back to the relying party."""
    page = browser.get(authorize_url)
    assert page.status_code == 200 and "请求使用您的一网账户登录" in page.text, page.text[:800]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields["allow"] = "Authorize"
    response = browser.post(page.url, data=fields, headers={"Referer": page.url}, allow_redirects=False)
    assert response.status_code == 302, response.text[:800]
    return response.headers["Location"]


def relying_party(base: str, app: Any, scope: str) -> tuple[OAuth2Session, str, str]:
    rp = OAuth2Session(
        client_id=app.client_id,
        client_secret=CLIENT_SECRET,
        scope=scope,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    from authlib.common.security import generate_token

    verifier = generate_token(64)
    url, _state = rp.create_authorization_url(f"{base}/o/authorize/", code_verifier=verifier)
    return rp, url, verifier


def test_full_code_pkce_flow_with_authlib(live_server: Any) -> None:
    base = live_server.url
    person = make_person(level=RealNameLevel.L2, name="钱多多")
    app = make_client()
    discovery = requests.get(f"{base}/o/.well-known/openid-configuration", timeout=10).json()
    assert discovery["authorization_endpoint"].endswith("/o/authorize/")
    assert "S256" in discovery["code_challenge_methods_supported"]
    assert "RS256" in discovery["id_token_signing_alg_values_supported"]

    browser = browser_sign_in(base, person.phone)
    rp, url, verifier = relying_party(base, app, "openid profile identity")
    callback = consent(browser, url)
    assert callback.startswith(REDIRECT_URI) and "code=" in callback

    token = rp.fetch_token(
        discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    assert token["token_type"] == "Bearer" and "refresh_token" in token and "id_token" in token

    keys = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    id_token = jwt.decode(token["id_token"], keys)
    assert id_token.header["alg"] == "RS256"
    assert id_token.claims["aud"] == app.client_id and id_token.claims["sub"] == str(person.pk)

    info = rp.get(discovery["userinfo_endpoint"]).json()
    assert info["sub"] == str(person.pk)
    assert info["name"] == "钱多多"
    assert info["real_name_level"] == 2
    assert info["resident_id_masked"] == person.identity.resident_id_masked
    assert "staff_roles" not in info and "enterprise" not in info  # scopes not granted

    refreshed = rp.refresh_token(discovery["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    assert rp.get(discovery["userinfo_endpoint"]).json()["sub"] == str(person.pk)

    # "Sign out everywhere" also ends single sign-on: the tokens stop working.
    services.end_all_sessions(person, actor=person)
    assert rp.get(discovery["userinfo_endpoint"]).status_code == 401
    stale = requests.post(
        discovery["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
        auth=(app.client_id, CLIENT_SECRET),
        timeout=10,
    )
    assert stale.status_code == 400


def test_enterprise_context_reaches_the_relying_party_and_ends_on_revocation(live_server: Any) -> None:
    base = live_server.url
    enterprise = make_enterprise()
    agent = make_person(level=RealNameLevel.L2)
    grant = authorise(enterprise, agent, codes=("CODE-9",))
    app = make_client(skip_authorization=True)
    browser = browser_sign_in(base, agent.phone)
    page = browser.get(f"{base}/account/enterprise/")
    browser.post(
        f"{base}/account/enterprise/",
        data={"action": "switch", "enterprise": str(enterprise.pk), "csrfmiddlewaretoken": csrf(page.text)},
        headers={"Referer": f"{base}/account/enterprise/"},
    )
    rp, url, verifier = relying_party(base, app, "openid enterprise")
    callback = browser.get(url, allow_redirects=False).headers[
        "Location"
    ]  # trusted client: no consent screen
    rp.fetch_token(f"{base}/o/token/", authorization_response=callback, code_verifier=verifier)
    info = rp.get(f"{base}/o/userinfo/").json()
    assert info["enterprise"] == {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "role": "agent",
        "item_codes": ["CODE-9"],
    }
    from yiwang.accounts import enterprises

    enterprises.revoke_authorisation(grant, actor=enterprise.representative)
    assert rp.get(f"{base}/o/userinfo/").json()["enterprise"] is None


def test_wrong_pkce_verifier_is_refused(live_server: Any) -> None:
    base = live_server.url
    person = make_person()
    app = make_client()
    browser = browser_sign_in(base, person.phone)
    _rp, url, _verifier = relying_party(base, app, "openid")
    callback = consent(browser, url)
    code = parse_qs(urlparse(callback).query)["code"][0]
    response = requests.post(
        f"{base}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": "x" * 64,
        },
        auth=(app.client_id, CLIENT_SECRET),
        timeout=10,
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_unregistered_redirect_uri_is_refused_without_redirecting(live_server: Any) -> None:
    base = live_server.url
    person = make_person()
    app = make_client()
    browser = browser_sign_in(base, person.phone)
    rp = OAuth2Session(
        client_id=app.client_id,
        scope="openid",
        redirect_uri="http://evil.example.test/cb",
        code_challenge_method="S256",
    )
    url, _state = rp.create_authorization_url(f"{base}/o/authorize/", code_verifier="v" * 64)
    response = browser.get(url, allow_redirects=False)
    assert response.status_code == 400 or (response.status_code == 200 and "授权请求有误" in response.text)
    assert "evil.example" not in response.headers.get("Location", "")


def test_missing_pkce_is_refused(live_server: Any) -> None:
    base = live_server.url
    person = make_person()
    app = make_client()
    browser = browser_sign_in(base, person.phone)
    rp = OAuth2Session(client_id=app.client_id, scope="openid", redirect_uri=REDIRECT_URI)
    url, _state = rp.create_authorization_url(f"{base}/o/authorize/")
    response = browser.get(url, allow_redirects=False)
    location = response.headers.get("Location", "")
    assert "error=invalid_request" in location or "授权请求有误" in response.text


def test_staff_scope_is_refused_to_third_party_clients(live_server: Any) -> None:
    base = live_server.url
    person = make_person()
    app = make_client()
    browser = browser_sign_in(base, person.phone)
    _rp, url, _verifier = relying_party(base, app, "openid staff")
    response = browser.get(url, allow_redirects=False)
    assert "invalid_scope" in response.headers.get("Location", "") or "invalid_scope" in response.text


def test_end_session_signs_the_person_out(live_server: Any) -> None:
    base = live_server.url
    person = make_person()
    browser = browser_sign_in(base, person.phone)
    assert browser.get(f"{base}/account/", allow_redirects=False).status_code == 200
    page = browser.get(f"{base}/o/logout/")
    assert page.status_code == 200 and "确认退出登录" in page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields["allow"] = "Logout"
    browser.post(page.url, data=fields, headers={"Referer": page.url})
    assert browser.get(f"{base}/account/", allow_redirects=False).status_code == 302
