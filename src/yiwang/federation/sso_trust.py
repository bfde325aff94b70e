"""Identity across nodes: sign in here with an account held by a trusted peer (the hub, or another node),
through OpenID Connect authorization code + PKCE against the peer's own provider under /o/.

The relying-party half (begin, finish, verify_id_token, link_account) runs on the node the person visits;
the provider half (release_identity) runs on the peer that holds the account: after the normal OIDC flow it
releases the full resident ID only to a confidential client registered for a federation peer, so the same
person always maps to ONE local account (matched by the resident ID's blind index), and their real-name
level comes across as the provider asserts it, never higher.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from yiwang.accounts import fieldcrypto, registries
from yiwang.accounts.models import PersonIdentity, RealNameLevel, User
from yiwang.core import audit, events
from yiwang.core.validators import mask_resident_id, validate_resident_id
from yiwang.federation.models import NodeRole, Peer

SCOPE = "openid profile identity"
SESSION_PENDING = "yiwang_federation_sso_pending"
SESSION_SIGNED_IN = "yiwang_federation_sso"
STATE_TTL_SECONDS = 10 * 60
MAX_PENDING = 5  # sign-ins started in other tabs of the same session
CLOCK_LEEWAY_SECONDS = 60
ALGORITHMS = ("RS256", "ES256")
JWKS_CACHE_SECONDS = 10 * 60
HTTP_TIMEOUT_SECONDS = 10.0
SUBJECT_CONTEXT = "federation-sso-subject"
CLIENT_ID_PREFIX = "yiwang-peer-"
LEVEL_SOURCE_PREFIX = "federation:"
IDENTITY_PATH = "/federation/sso/identity/"
CALLBACK_PATH = "/federation/sso/callback/"


class TrustError(Exception):
    """A refused federated sign-in; `message` is shown to the person (Simplified Chinese)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Provider:
    """A peer whose OIDC provider this node trusts, with the client this node holds there."""

    peer: Peer
    client_id: str
    client_secret: str

    @property
    def base_url(self) -> str:
        return self.peer.base_url.rstrip("/")

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/o"

    @property
    def label(self) -> str:
        if self.peer.role == NodeRole.HUB:
            return _("国家政务服务平台统一身份认证")
        return _("%(name)s统一身份认证") % {"name": self.peer.name}


# --- Which peers are trusted -----------------------------------------------------------------------------


def _client_for(peer: Peer) -> tuple[str, str] | None:
    """The hub's client from YIWANG_HUB_OIDC_CLIENT_ID/_SECRET; any peer's from YIWANG_PEER_OIDC_CLIENTS
    ({code: {"client_id": …, "client_secret": …}}), which also may name the hub's."""
    configured = (getattr(settings, "YIWANG_PEER_OIDC_CLIENTS", None) or {}).get(peer.code)
    if configured and configured.get("client_id") and configured.get("client_secret"):
        return str(configured["client_id"]), str(configured["client_secret"])
    if peer.role == NodeRole.HUB:
        client_id = str(getattr(settings, "YIWANG_HUB_OIDC_CLIENT_ID", "") or "")
        secret = str(getattr(settings, "YIWANG_HUB_OIDC_CLIENT_SECRET", "") or "")
        if client_id and secret:
            return client_id, secret
    return None


def trusted_providers() -> list[Provider]:
    """Active peers with a configured client: the hub first, then nodes by code."""
    providers = []
    for peer in Peer.objects.filter(active=True).order_by("code"):
        client = _client_for(peer)
        if client:
            providers.append(Provider(peer, *client))
    return sorted(providers, key=lambda p: (p.peer.role != NodeRole.HUB, p.peer.code))


def provider_for(code: str) -> Provider:
    peer = Peer.objects.filter(code=code, active=True).first()
    if peer is None:
        raise TrustError(
            _("未找到代码为 %(code)s 的已登记节点，无法使用该节点账户登录。") % {"code": code}, "unknown_peer"
        )
    client = _client_for(peer)
    if client is None:
        raise TrustError(
            _("本节点尚未在%(name)s登记为统一身份认证客户端，请联系本节点管理员。") % {"name": peer.name},
            "not_configured",
        )
    return Provider(peer, *client)


# --- Relying party: begin and finish ---------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def begin(session: SessionBase, provider: Provider, *, redirect_uri: str, next_url: str) -> str:
    """Remember state, nonce and PKCE verifier in the session; return the provider's authorize URL."""
    state, nonce, verifier = (secrets.token_urlsafe(32) for _i in range(3))
    pending = dict(session.get(SESSION_PENDING) or {})
    if len(pending) >= MAX_PENDING:  # keep the newest few: an abandoned attempt must not grow the session
        for old in sorted(pending, key=lambda s: pending[s]["at"])[: len(pending) - MAX_PENDING + 1]:
            pending.pop(old)
    pending[state] = {
        "peer": provider.peer.code,
        "nonce": nonce,
        "verifier": verifier,
        "redirect_uri": redirect_uri,
        "next": next_url,
        "at": time.time(),
    }
    session[SESSION_PENDING] = pending
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
            "state": state,
            "nonce": nonce,
            "code_challenge": _b64url(hashlib.sha256(verifier.encode("ascii")).digest()),
            "code_challenge_method": "S256",
        }
    )
    return f"{provider.base_url}/o/authorize/?{query}"


@dataclass(frozen=True)
class Assertion:
    """What the provider asserted about the person, after every check passed."""

    provider: Provider
    subject: str
    name: str
    resident_id: str
    level: int
    id_token: str
    next_url: str


def _take_pending(session: SessionBase, state: str) -> dict[str, Any]:
    """Pop the pending sign-in for `state`: a state works once, in the session that started it."""
    pending = dict(session.get(SESSION_PENDING) or {})
    entry = pending.pop(state, None) if state else None
    session[SESSION_PENDING] = pending
    if entry is None:
        raise TrustError(
            _("登录请求无效或已使用过（可能是重复提交或页面被转发）。请回到登录页重新发起统一身份认证登录。"),
            "bad_state",
        )
    if time.time() - float(entry["at"]) > STATE_TTL_SECONDS:
        raise TrustError(
            _("登录请求已超过 10 分钟未完成，已失效。请重新发起统一身份认证登录。"), "state_expired"
        )
    return entry


def finish(session: SessionBase, *, state: str, code: str, error: str = "") -> Assertion:
    """The provider sent the person back: exchange the code, verify the ID token, fetch the identity."""
    entry = _take_pending(session, state)
    provider = provider_for(entry["peer"])
    if error:
        raise TrustError(
            _("统一身份认证平台未同意本次登录（%(error)s）。如需继续，请重新发起登录并在认证平台确认授权。")
            % {"error": error[:60]},
            "provider_refused",
        )
    if not code:
        raise TrustError(_("统一身份认证平台没有返回授权码，请重新发起登录。"), "no_code")
    tokens = _exchange_code(
        provider, code=code, redirect_uri=entry["redirect_uri"], verifier=entry["verifier"]
    )
    claims = verify_id_token(tokens.get("id_token", ""), provider=provider, nonce=entry["nonce"])
    released = _fetch_identity(provider, access_token=str(tokens.get("access_token", "")))
    if str(released.get("sub")) != str(claims["sub"]):
        raise TrustError(_("认证平台返回的身份信息与身份令牌不是同一人，已拒绝登录。"), "subject_mismatch")
    try:
        resident_id = validate_resident_id(str(released.get("resident_id", "")))
    except ValidationError:
        raise TrustError(_("认证平台返回的身份证号码无效，已拒绝登录。"), "bad_resident_id") from None
    # Never above what the provider asserts: the lower of the ID token's and the released level.
    asserted = [
        int(v) for v in (claims.get("real_name_level"), released.get("real_name_level")) if v is not None
    ]
    level = max(RealNameLevel.NONE, min([*asserted, RealNameLevel.L3])) if asserted else RealNameLevel.NONE
    return Assertion(
        provider=provider,
        subject=str(claims["sub"]),
        name=str(released.get("name") or claims.get("name") or ""),
        resident_id=resident_id,
        level=level,
        id_token=tokens["id_token"],
        next_url=str(entry.get("next") or ""),
    )


def _post(url: str, **kwargs: Any) -> httpx.Response:
    try:
        return httpx.post(url, timeout=HTTP_TIMEOUT_SECONDS, **kwargs)
    except httpx.HTTPError:
        raise TrustError(_("无法连接统一身份认证平台，请稍后再试。"), "unreachable") from None


def _get(url: str, **kwargs: Any) -> httpx.Response:
    try:
        return httpx.get(url, timeout=HTTP_TIMEOUT_SECONDS, **kwargs)
    except httpx.HTTPError:
        raise TrustError(_("无法连接统一身份认证平台，请稍后再试。"), "unreachable") from None


def _exchange_code(provider: Provider, *, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
    response = _post(
        f"{provider.base_url}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(provider.client_id, provider.client_secret),
    )
    if response.status_code != 200:
        raise TrustError(
            _("统一身份认证平台拒绝兑换授权码（授权码可能已使用或已过期），请重新发起登录。"), "token_refused"
        )
    tokens: dict[str, Any] = response.json()
    if not tokens.get("id_token") or not tokens.get("access_token"):
        raise TrustError(_("统一身份认证平台没有返回身份令牌，请重新发起登录。"), "no_id_token")
    return tokens


# --- ID token verification (jwcrypto: django-oauth-toolkit's own JOSE library) ---------------------------


def _jwks(provider: Provider, *, refresh: bool = False) -> jwk.JWKSet:
    key = f"federation-sso-jwks:{provider.peer.code}"
    text = None if refresh else cache.get(key)
    if text is None:
        response = _get(f"{provider.issuer}/.well-known/jwks.json")
        if response.status_code != 200:
            raise TrustError(_("无法获取统一身份认证平台的签名公钥，请稍后再试。"), "jwks_unavailable")
        text = response.text
        cache.set(key, text, JWKS_CACHE_SECONDS)
    try:
        return jwk.JWKSet.from_json(text)
    except (JWException, ValueError):
        raise TrustError(_("统一身份认证平台的签名公钥格式无效。"), "jwks_invalid") from None


def _signature_checked(raw: str, provider: Provider) -> dict[str, Any]:
    forged = TrustError(_("身份令牌签名无效（可能被伪造或篡改），已拒绝登录。"), "bad_signature")
    token = jws.JWS()
    try:
        token.deserialize(raw)
    except (JWException, ValueError):
        raise forged from None
    header = token.jose_header if isinstance(token.jose_header, dict) else {}
    if header.get("alg") not in ALGORITHMS:
        raise TrustError(_("身份令牌使用了不被接受的签名算法，已拒绝登录。"), "bad_algorithm")
    for refresh in (False, True):  # a key id we do not know yet may be a rotated key: fetch the set once more
        keys = _jwks(provider, refresh=refresh)
        candidates = [k for k in keys["keys"] if not header.get("kid") or k.get("kid") == header["kid"]]
        for key in candidates:
            try:
                token.verify(key, alg=header["alg"])
            except (JWException, ValueError):
                continue
            try:
                payload = json.loads(token.payload)
            except ValueError:
                raise forged from None
            if not isinstance(payload, dict):
                raise forged
            return payload
        if candidates:
            break
    raise forged


def verify_id_token(raw: str, *, provider: Provider, nonce: str, now: float | None = None) -> dict[str, Any]:
    """Signature (provider's JWKS), issuer, audience (and azp), expiry, issued-at and nonce."""
    if not raw:
        raise TrustError(_("统一身份认证平台没有返回身份令牌，请重新发起登录。"), "no_id_token")
    claims = _signature_checked(raw, provider)
    now = time.time() if now is None else now
    if claims.get("iss") != provider.issuer:
        raise TrustError(_("身份令牌的签发方与所选认证平台不符，已拒绝登录。"), "bad_issuer")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if provider.client_id not in audiences or (
        len(audiences) > 1 and claims.get("azp") != provider.client_id
    ):
        raise TrustError(_("身份令牌不是签发给本节点的（受众不符），已拒绝登录。"), "bad_audience")
    try:
        expires = float(claims["exp"])
        issued = float(claims.get("iat", now))
    except (KeyError, TypeError, ValueError):
        raise TrustError(_("身份令牌缺少有效期，已拒绝登录。"), "no_expiry") from None
    if expires + CLOCK_LEEWAY_SECONDS < now:
        raise TrustError(_("身份令牌已过期，请重新发起登录。"), "expired")
    if issued - CLOCK_LEEWAY_SECONDS > now:
        raise TrustError(_("身份令牌的签发时间晚于当前时间，请检查服务器时钟后重试。"), "issued_in_future")
    if not nonce or not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise TrustError(
            _("身份令牌与本次登录请求不匹配（nonce 不符，可能是重放），已拒绝登录。"), "bad_nonce"
        )
    if not claims.get("sub"):
        raise TrustError(_("身份令牌缺少用户标识，已拒绝登录。"), "no_subject")
    return claims


def _fetch_identity(provider: Provider, *, access_token: str) -> dict[str, Any]:
    response = _get(
        f"{provider.base_url}{IDENTITY_PATH}", headers={"Authorization": f"Bearer {access_token}"}
    )
    if response.status_code != 200:
        raise TrustError(
            _("统一身份认证平台未向本节点提供实名身份信息，无法登录。请联系本节点管理员核实节点互信登记。"),
            "identity_refused",
        )
    data: dict[str, Any] = response.json()
    return data


# --- Relying party: one local account per person --------------------------------------------------------


def subject_username(provider: Provider, subject: str) -> str:
    """The username of an account created for a federated person: a blind index of (issuer, subject), so
    the provider's user numbers never appear here and the unique username stops duplicate creation."""
    digest = fieldcrypto.blind_index(f"{provider.issuer}\x00{subject}", context=SUBJECT_CONTEXT)
    return f"fed-{provider.peer.code}-{digest[:40]}"


def link_account(assertion: Assertion) -> tuple[User, bool]:
    """The person's ONE local account: matched by resident ID, else created at the asserted level; a level
    that came from a federation source follows the provider (up or down), a locally verified one is kept
    unless the provider asserts more."""
    index = registries.resident_id_index(assertion.resident_id)
    source = f"{LEVEL_SOURCE_PREFIX}{assertion.provider.peer.code}"
    try:
        with transaction.atomic():
            identity = (
                PersonIdentity.objects.select_for_update()
                .select_related("user")
                .filter(resident_id_index=index)
                .first()
            )
            if identity is not None:
                _follow_level(identity, assertion.level, source)
                return identity.user, False
            username = subject_username(assertion.provider, assertion.subject)
            if User.objects.filter(username=username).exists():
                # The provider reused a subject for a different resident ID: never merge two people.
                raise TrustError(
                    _("认证平台的账户标识与本节点已有账户的身份信息不一致，已拒绝登录。请联系本节点管理员。"),
                    "subject_conflict",
                )
            user = User.objects.create(
                username=username, display_name=assertion.name[:64], password=make_password(None)
            )
            PersonIdentity.objects.create(
                user=user,
                resident_id_ciphertext=fieldcrypto.encrypt(
                    assertion.resident_id, context=registries.RESIDENT_ID_CONTEXT
                ),
                resident_id_index=index,
                resident_id_masked=mask_resident_id(assertion.resident_id),
                level=assertion.level,
                level_source=source,
                level_verified_at=timezone.now(),
            )
            audit.record(
                actor=user,
                action="federation.sso.account_created",
                object_type="accounts.User",
                object_id=user.pk,
                after={"level": assertion.level, "peer": assertion.provider.peer.code},
                summary=f"经{assertion.provider.peer.name}统一身份认证首次登录，建立本节点账户（实名{assertion.level}级）",
            )
            return user, True
    except IntegrityError:
        # Two first sign-ins of the same person at once: the other one created the account.
        identity = PersonIdentity.objects.select_related("user").filter(resident_id_index=index).first()
        if identity is None:
            raise
        return identity.user, False


def _follow_level(identity: PersonIdentity, asserted: int, source: str) -> None:
    before = identity.level
    federated = identity.level_source.startswith(LEVEL_SOURCE_PREFIX)
    if asserted > before or (federated and asserted < before):
        identity.level = asserted
        identity.level_source = source
        identity.level_verified_at = timezone.now()
        identity.save(update_fields=["level", "level_source", "level_verified_at"])
        audit.record(
            actor="federation",
            action="identity.level_raised" if asserted > before else "identity.level_lowered",
            object_type="accounts.User",
            object_id=identity.user_id,
            before={"level": before},
            after={"level": asserted},
            summary=f"实名等级按{source}的认证结果调整为 L{asserted}",
        )


def record_sign_in(user: User, assertion: Assertion, *, created: bool, ip: str | None) -> None:
    audit.record(
        actor=user,
        action="federation.sso.signed_in",
        object_type="accounts.User",
        object_id=user.pk,
        summary=f"经{assertion.provider.peer.name}统一身份认证登录（实名{assertion.level}级）",
        data={
            "peer": assertion.provider.peer.code,
            "level": assertion.level,
            "created": created,
            "ip": ip or "",
        },
    )
    payload = {"user": user.pk, "peer": assertion.provider.peer.code, "created": created}
    transaction.on_commit(lambda: events.publish("federation.sso.signed_in", payload))


def record_refusal(error: TrustError, *, ip: str | None) -> None:
    audit.record(
        actor=None,
        action="federation.sso.refused",
        object_type="federation.Peer",
        object_id="",
        summary=f"统一身份认证登录被拒绝：{error.code}",
        data={"reason": error.code, "ip": ip or ""},
    )


# --- Provider side: release the identity to a registered peer --------------------------------------------


def peer_of_client(client_id: str) -> Peer | None:
    if not client_id.startswith(CLIENT_ID_PREFIX):
        return None
    return Peer.objects.filter(code=client_id.removeprefix(CLIENT_ID_PREFIX), active=True).first()


def release_identity(bearer: str) -> dict[str, Any]:
    """For a valid access token with the identity scope, issued to a confidential client registered for an
    active federation peer: the person's subject, name, full resident ID and real-name level. Audited."""
    from oauth2_provider.models import AbstractApplication, get_access_token_model

    refused = TrustError(_("访问令牌无效、已过期或无权获取实名身份信息。"), "identity_refused")
    checksum = hashlib.sha256(bearer.encode("utf-8")).hexdigest()
    token = (
        get_access_token_model()
        .objects.select_related("application", "user")
        .filter(token_checksum=checksum)
        .first()
    )
    if token is None or not token.is_valid(["openid", "identity"]) or token.user is None:
        raise refused
    application = token.application
    if application is None or application.client_type != AbstractApplication.CLIENT_CONFIDENTIAL:
        raise refused
    peer = peer_of_client(application.client_id)
    if peer is None:
        raise refused
    identity = PersonIdentity.objects.filter(user=token.user).first()
    if identity is None:
        raise TrustError(_("该账户尚未登记身份证号码，无法在其他节点登录。"), "no_identity")
    resident_id = fieldcrypto.decrypt(identity.resident_id_ciphertext, context=registries.RESIDENT_ID_CONTEXT)
    audit.record(
        actor=token.user,
        action="federation.sso.identity_released",
        object_type="accounts.User",
        object_id=token.user.pk,
        summary=f"向节点 {peer.code} {peer.name} 提供实名身份（统一身份认证登录）",
        data={"peer": peer.code},
    )
    return {
        "sub": str(token.user.pk),
        "name": token.user.display_name,
        "resident_id": resident_id,
        "real_name_level": identity.level,
    }


def register_client(
    peer: Peer, *, redirect_uris: list[str], client_secret: str | None = None
) -> tuple[Any, str]:
    """On the provider: register `peer` as a confidential OIDC client (trusted: no consent screen), or update
    its redirect URIs. Returns the application and the secret to hand to the peer's operator (shown once)."""
    from oauth2_provider.models import get_application_model

    bad = [
        uri
        for uri in redirect_uris
        if not uri.startswith(("https://", "http://")) or not uri.endswith(CALLBACK_PATH)
    ]
    if not redirect_uris or bad:
        raise ValueError(f"回调地址应为对端的 <地址>{CALLBACK_PATH}：{'、'.join(bad) or '未提供'}")
    Application = get_application_model()
    secret = client_secret or secrets.token_urlsafe(32)
    origins = sorted({uri.split("/federation/")[0] for uri in redirect_uris})
    with transaction.atomic():
        app, created = Application.objects.select_for_update().get_or_create(
            client_id=f"{CLIENT_ID_PREFIX}{peer.code}",
            defaults={
                "name": f"{peer.name}（全国一体化节点）",
                "client_type": Application.CLIENT_CONFIDENTIAL,
                "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
                "algorithm": Application.RS256_ALGORITHM,
                "skip_authorization": True,
                "client_secret": secret,
            },
        )
        app.redirect_uris = " ".join(redirect_uris)
        app.post_logout_redirect_uris = " ".join(f"{origin}/account/signin/" for origin in origins)
        if not created:
            app.client_secret = secret  # hashed on save
        app.save()
        audit.record(
            actor="operator",
            action="federation.sso.client_registered" if created else "federation.sso.client_updated",
            object_type="federation.Peer",
            object_id=peer.pk,
            after={"client_id": app.client_id, "redirect_uris": redirect_uris},
        )
    return app, secret


def end_session_url(provider: Provider, *, id_token: str, post_logout_redirect_uri: str) -> str:
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": provider.client_id,
            "post_logout_redirect_uri": post_logout_redirect_uri,
        }
    )
    return f"{provider.base_url}/o/logout/?{query}"
