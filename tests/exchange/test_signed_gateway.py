"""The HTTP gateway: SM2-signed requests from an organisation's own key; bad signatures, stale timestamps,
replays and revoked keys are refused; the audit chain detects an edited call row."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from accounts.identity_factories import make_person
from catalog.factories import make_organisation
from exchange.exchange_factories import credential, grant, population_resource
from yiwang.accounts import services as account_services
from yiwang.core import audit, sm2
from yiwang.core.models import AuditEntry
from yiwang.exchange import services, signing
from yiwang.exchange.models import CallLog

pytestmark = pytest.mark.django_db

PATH = "/api/exchange/gateway/query"


@pytest.fixture
def setup() -> dict[str, Any]:
    resource = population_resource()
    consumer = make_organisation(name="市人力社保局")
    grant(resource, consumer, ["name", "birth_date"])
    key, private_hex = credential(consumer)
    person = make_person(name="周签名")
    return {
        "resource": resource,
        "consumer": consumer,
        "key": key,
        "private": private_hex,
        "number": account_services.resident_id_of(person),
    }


def _body(setup: dict[str, Any], fields: list[str] | None = None) -> bytes:
    payload = {
        "resource": setup["resource"].code,
        "fields": fields or ["name", "birth_date"],
        "subject": setup["number"],
        "purpose": "办理失业保险金申领，核验申请人",
        "case_number": "33010020261122000001",
    }
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _post(client: Client, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(PATH, data=body, content_type="application/json", headers=headers)


def _signed(setup: dict[str, Any], body: bytes, **kwargs: Any) -> dict[str, str]:
    return signing.sign_headers(
        private_hex=setup["private"],
        key_id=setup["key"].key_id,
        method="POST",
        path=PATH,
        body=body,
        **kwargs,
    )


def test_a_signed_request_within_the_grant_is_answered_and_logged(
    client: Client, setup: dict[str, Any]
) -> None:
    body = _body(setup)
    response = _post(client, body, _signed(setup, body))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["result"] == "ok" and data["data"]["name"] == "周签名"
    call = CallLog.objects.get(pk=data["call_id"])
    assert call.key_id == setup["key"].key_id and call.case_number == "33010020261122000001"
    assert call.consumer == setup["consumer"]


def test_fields_outside_the_grant_answer_403(client: Client, setup: dict[str, Any]) -> None:
    body = _body(setup, ["name", "gender"])
    response = _post(client, body, _signed(setup, body))
    assert response.status_code == 403
    assert response.json()["data"] == {} and "性别（gender）" in response.json()["reason"]


def test_a_replayed_request_is_refused(client: Client, setup: dict[str, Any]) -> None:
    body = _body(setup)
    headers = _signed(setup, body)
    assert _post(client, body, headers).status_code == 200
    again = _post(client, body, headers)
    assert again.status_code == 401 and "重复的请求" in again.json()["detail"]
    assert CallLog.objects.count() == 1


def test_a_stale_timestamp_is_refused(client: Client, setup: dict[str, Any]) -> None:
    body = _body(setup)
    response = _post(client, body, _signed(setup, body, timestamp=int(time.time()) - 3600))
    assert response.status_code == 401 and "时间戳" in response.json()["detail"]


def test_a_tampered_body_or_a_foreign_key_fails_the_signature(client: Client, setup: dict[str, Any]) -> None:
    body = _body(setup)
    headers = _signed(setup, body)
    tampered = _body(setup, ["name"])
    response = _post(client, tampered, headers)
    assert response.status_code == 401 and "签名验证失败" in response.json()["detail"]

    stranger = sm2.generate_keypair()
    forged = signing.sign_headers(
        private_hex=stranger.private_hex, key_id=setup["key"].key_id, method="POST", path=PATH, body=body
    )
    assert _post(client, body, forged).status_code == 401
    assert CallLog.objects.count() == 0


def test_unsigned_requests_and_revoked_keys_are_refused(client: Client, setup: dict[str, Any]) -> None:
    body = _body(setup)
    response = _post(client, body, {})
    assert response.status_code == 401 and "请求未签名" in response.json()["detail"]

    services.revoke_credential(setup["key"], actor=None)
    response = _post(client, body, _signed(setup, body))
    assert response.status_code == 401 and "已停用" in response.json()["detail"]


def test_the_audit_chain_detects_an_edited_call_row(client: Client, setup: dict[str, Any]) -> None:
    body = _body(setup)
    call_id = _post(client, body, _signed(setup, body)).json()["call_id"]
    assert list(audit.verify_chain()) == []

    entry = AuditEntry.objects.get(pk=CallLog.objects.get(pk=call_id).audit_seq)
    data = dict(entry.data)
    data["purpose"] = "（被改写的用途）"
    AuditEntry.objects.filter(pk=entry.pk).update(data=data)

    problems = list(audit.verify_chain())
    assert [(p.chain, p.seq) for p in problems] == [(entry.chain, entry.seq)] and "被篡改" in problems[
        0
    ].message


def test_nonces_are_forgotten_after_the_window(setup: dict[str, Any]) -> None:
    import datetime as dt

    from django.utils import timezone

    from yiwang.exchange.models import SeenNonce

    SeenNonce.objects.create(key_id="k", nonce="old-nonce-1", seen_at=timezone.now() - dt.timedelta(hours=1))
    SeenNonce.objects.create(key_id="k", nonce="new-nonce-1", seen_at=timezone.now())
    assert signing.purge_nonces() == 1
    assert list(SeenNonce.objects.values_list("nonce", flat=True)) == ["new-nonce-1"]
