"""ID token checks against the real hub's JWKS: tokens signed with the hub's own key but with one thing
wrong (expired, audience, nonce, issuer), forged ones (another key, `none`, HS256 with the public key),
each refused with its own Chinese message; and the identity release only to registered peers."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from jwcrypto import jwk, jws, jwt
from oauth2_provider.models import get_access_token_model, get_application_model

from accounts.identity_factories import make_person
from federation.federation_sso_hub import CLIENT_SECRET, HUB_CODE, HUB_NAME, Hub
from yiwang.accounts.models import RealNameLevel
from yiwang.core.models import AuditEntry
from yiwang.federation import sso_trust
from yiwang.federation.models import NodeRole, Peer

pytestmark = pytest.mark.django_db

NONCE = "nonce-of-this-sign-in"


@pytest.fixture
def provider(settings: Any, hub: Hub) -> sso_trust.Provider:
    settings.YIWANG_HUB_OIDC_CLIENT_ID = hub.client_id
    settings.YIWANG_HUB_OIDC_CLIENT_SECRET = CLIENT_SECRET
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"fedsso-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    Peer.objects.create(
        code=HUB_CODE, name=HUB_NAME, role=NodeRole.HUB, base_url=hub.url, public_hex="22" * 64
    )
    return sso_trust.provider_for(HUB_CODE)


def claims(provider: sso_trust.Provider, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    values = {
        "iss": provider.issuer,
        "aud": provider.client_id,
        "sub": "42",
        "exp": now + 300,
        "iat": now,
        "nonce": NONCE,
        "real_name_level": 2,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def signed(payload: dict[str, Any], key: jwk.JWK, *, alg: str = "RS256") -> str:
    token = jwt.JWT(header={"alg": alg, "kid": key.thumbprint()}, claims=payload)
    token.make_signed_token(key)
    return str(token.serialize())


def hub_key(hub: Hub) -> jwk.JWK:
    return jwk.JWK.from_pem(hub.signing_key_pem.encode())


def refused(raw: str, provider: sso_trust.Provider, nonce: str = NONCE) -> sso_trust.TrustError:
    with pytest.raises(sso_trust.TrustError) as caught:
        sso_trust.verify_id_token(raw, provider=provider, nonce=nonce)
    return caught.value


def test_a_token_signed_by_the_hub_with_every_claim_right_passes(
    provider: sso_trust.Provider, hub: Hub
) -> None:
    result = sso_trust.verify_id_token(signed(claims(provider), hub_key(hub)), provider=provider, nonce=NONCE)
    assert result["sub"] == "42" and result["real_name_level"] == 2


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        ({"exp": int(time.time()) - 3600}, "expired", "身份令牌已过期"),
        ({"aud": "yiwang-peer-999999"}, "bad_audience", "受众不符"),
        ({"aud": ["yiwang-peer-330100", "another-client"]}, "bad_audience", "受众不符"),
        ({"nonce": "someone-elses-nonce"}, "bad_nonce", "nonce 不符"),
        ({"nonce": None}, "bad_nonce", "nonce 不符"),
        ({"iss": "http://evil.example.test/o"}, "bad_issuer", "签发方与所选认证平台不符"),
        (
            {"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200},
            "issued_in_future",
            "签发时间晚于当前时间",
        ),
        ({"exp": None}, "no_expiry", "缺少有效期"),
        ({"sub": None}, "no_subject", "缺少用户标识"),
    ],
)
def test_claims_that_do_not_fit_are_refused(
    provider: sso_trust.Provider,
    hub: Hub,
    changes: dict[str, Any],
    code: str,
    message: str,
) -> None:
    error = refused(signed(claims(provider, **changes), hub_key(hub)), provider)
    assert error.code == code and message in error.message


def test_forged_tokens_are_refused(provider: sso_trust.Provider, hub: Hub) -> None:
    real = hub_key(hub)
    impostor = jwk.JWK.generate(kty="RSA", size=2048)
    token = jwt.JWT(header={"alg": "RS256", "kid": real.thumbprint()}, claims=claims(provider))
    token.make_signed_token(impostor)  # another key, claiming the hub's key id
    error = refused(token.serialize(), provider)
    assert error.code == "bad_signature" and "签名无效" in error.message

    # A payload changed after signing.
    header, _payload, signature = signed(claims(provider), real).split(".")
    tampered = jws.base64url_encode(json.dumps(claims(provider, sub="1")))
    assert refused(f"{header}.{tampered}.{signature}", provider).code == "bad_signature"

    # alg=none, and HS256 keyed with the public key (the classic confusion attack).
    none = ".".join(
        [
            jws.base64url_encode(json.dumps({"alg": "none"})),
            jws.base64url_encode(json.dumps(claims(provider))),
            "",
        ]
    )
    assert refused(none, provider).code in {"bad_algorithm", "bad_signature"}
    public = jwk.JWK.from_json(real.export_public())
    hmac_key = jwk.JWK(kty="oct", k=jws.base64url_encode(public.export_to_pem()))
    confused = jwt.JWT(header={"alg": "HS256"}, claims=claims(provider))
    confused.make_signed_token(hmac_key)
    error = refused(confused.serialize(), provider)
    assert error.code == "bad_algorithm" and "不被接受的签名算法" in error.message
    assert refused("not-a-token", provider).code == "bad_signature"


# --- Provider side: the identity release ------------------------------------------------------------------


def access_token(
    user: Any, client_id: str, *, scope: str = "openid profile identity", minutes: int = 10
) -> str:
    Application = get_application_model()
    app, _ = Application.objects.get_or_create(
        client_id=client_id,
        defaults={
            "name": client_id,
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": "http://127.0.0.1/federation/sso/callback/",
            "client_secret": CLIENT_SECRET,
        },
    )
    token = uuid.uuid4().hex
    get_access_token_model().objects.create(
        user=user,
        application=app,
        token=token,
        scope=scope,
        expires=timezone.now() + dt.timedelta(minutes=minutes),
    )
    return token


def test_identity_is_released_only_to_registered_peers() -> None:
    person = make_person(level=RealNameLevel.L3, name="冯实名")
    Peer.objects.create(
        code="330100",
        name="杭州市",
        role=NodeRole.NODE,
        base_url="http://127.0.0.1:9",
        public_hex="44" * 64,
    )
    client = Client()
    url = "/federation/sso/identity/"
    assert client.get(url).status_code == 401

    good = client.get(url, HTTP_AUTHORIZATION=f"Bearer {access_token(person, 'yiwang-peer-330100')}")
    assert good.status_code == 200
    from yiwang.accounts import services

    assert good.json() == {
        "sub": str(person.pk),
        "name": "冯实名",
        "resident_id": services.resident_id_of(person),
        "real_name_level": 3,
    }
    assert AuditEntry.objects.filter(
        action="federation.sso.identity_released", object_id=str(person.pk)
    ).exists()

    for token in (
        access_token(person, "rp-hospital"),  # an ordinary relying party: masked ID only, via userinfo
        access_token(person, "yiwang-peer-330100", scope="openid profile"),  # identity scope not granted
        access_token(person, "yiwang-peer-330100", minutes=-1),  # expired
        access_token(person, "yiwang-peer-999999"),  # no such peer
        "made-up-token",
    ):
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 403 and "无权获取实名身份信息" in response.json()["error"]

    Peer.objects.filter(code="330100").update(active=False)  # a peer no longer trusted
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {access_token(person, 'yiwang-peer-330100')}")
    assert response.status_code == 403
