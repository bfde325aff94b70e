"""One local account per person, and whose word the real-name level follows (no hub process needed: the
assertion is built as `finish` returns it after every check)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from accounts.identity_factories import make_person, make_resident_id
from yiwang.accounts.models import PersonIdentity, RealNameLevel, User
from yiwang.core.models import AuditEntry
from yiwang.federation import sso_trust
from yiwang.federation.models import NodeRole, Peer


@pytest.fixture
def provider(settings: Any) -> sso_trust.Provider:
    settings.YIWANG_HUB_OIDC_CLIENT_ID = "yiwang-peer-330100"
    settings.YIWANG_HUB_OIDC_CLIENT_SECRET = "secret"
    Peer.objects.create(
        code="100000",
        name="国家政务服务平台",
        role=NodeRole.HUB,
        base_url="http://hub.example.test",
        public_hex="55" * 64,
    )
    return sso_trust.provider_for("100000")


def assertion(
    provider: sso_trust.Provider, resident_id: str, level: int, subject: str = "7"
) -> sso_trust.Assertion:
    return sso_trust.Assertion(
        provider=provider,
        subject=subject,
        name="蒋一号",
        resident_id=resident_id,
        level=level,
        id_token="header.payload.signature",
        next_url="",
    )


@pytest.mark.django_db
def test_a_federated_level_follows_the_provider_down_as_well_as_up(provider: sso_trust.Provider) -> None:
    number = make_resident_id()
    user, created = sso_trust.link_account(assertion(provider, number, RealNameLevel.L3))
    assert created and user.identity.level == RealNameLevel.L3
    same, created_again = sso_trust.link_account(assertion(provider, number, RealNameLevel.L1))
    assert same.pk == user.pk and not created_again
    user.identity.refresh_from_db()
    assert user.identity.level == RealNameLevel.L1  # the provider withdrew its L3: never above its word
    assert AuditEntry.objects.filter(action="identity.level_lowered", object_id=str(user.pk)).exists()


@pytest.mark.django_db
def test_a_level_verified_here_is_kept(provider: sso_trust.Provider) -> None:
    local = make_person(level=RealNameLevel.L3)
    from yiwang.accounts import services

    user, created = sso_trust.link_account(
        assertion(provider, services.resident_id_of(local), RealNameLevel.L1)
    )
    assert user.pk == local.pk and not created
    local.identity.refresh_from_db()
    assert local.identity.level == RealNameLevel.L3 and local.identity.level_source != "federation:100000"


@pytest.mark.django_db
def test_a_subject_reused_for_another_person_is_never_merged(provider: sso_trust.Provider) -> None:
    sso_trust.link_account(assertion(provider, make_resident_id(), RealNameLevel.L2, subject="9"))
    with pytest.raises(sso_trust.TrustError) as caught:
        sso_trust.link_account(assertion(provider, make_resident_id(), RealNameLevel.L2, subject="9"))
    assert caught.value.code == "subject_conflict" and "不一致" in caught.value.message
    assert User.objects.filter(username__startswith="fed-100000-").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_first_sign_ins_at_once_make_one_account(provider: sso_trust.Provider) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises the whole database)")
    number = make_resident_id()
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def first_sign_in() -> None:
        try:
            barrier.wait()
            results.append(sso_trust.link_account(assertion(provider, number, RealNameLevel.L2)))
        except Exception as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_sign_in) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(r, tuple) for r in results), results
    assert len({user.pk for user, _created in results}) == 1
    assert sorted(created for _user, created in results) == [False, True]
    assert PersonIdentity.objects.filter(level_source="federation:100000").count() == 1


@pytest.mark.django_db
def test_registering_a_peer_client_checks_its_callback_address() -> None:
    peer = Peer.objects.create(
        code="330100",
        name="杭州市政务服务平台",
        role=NodeRole.NODE,
        base_url="https://hz.example.test",
        public_hex="66" * 64,
    )
    with pytest.raises(ValueError, match="回调地址"):
        sso_trust.register_client(peer, redirect_uris=["https://hz.example.test/somewhere/"])
    app, secret = sso_trust.register_client(
        peer, redirect_uris=["https://hz.example.test/federation/sso/callback/"]
    )
    assert app.client_id == "yiwang-peer-330100" and app.skip_authorization and len(secret) >= 32
    assert app.post_logout_redirect_uris == "https://hz.example.test/account/signin/"
    again, new_secret = sso_trust.register_client(
        peer, redirect_uris=["https://hz.example.test/federation/sso/callback/"]
    )
    assert again.pk == app.pk and new_secret != secret
    assert AuditEntry.objects.filter(action="federation.sso.client_updated").count() == 1
