"""跨省通办 and statistics within one process: the origin's checks, status reports applied in version order,
decision documents checked by SM3, the hub's statistics handler and API, and the pages."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from accounts.identity_factories import make_person, make_staff
from catalog.factories import make_organisation
from federation.federation_factories import make_sender
from yiwang.accounts.models import RealNameLevel, Role
from yiwang.core import sm2
from yiwang.core.crypto import sm3_hex
from yiwang.federation import crossprovince, identity, statistics
from yiwang.federation.cross_models import CrossCasePart, NodeStatistic, PartState
from yiwang.federation.models import OutboxMessage

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _as_zhejiang(settings: Any) -> None:
    settings.YIWANG_NODE_CODE = "330000"
    settings.YIWANG_NODE_ROLE = "node"
    settings.YIWANG_NODE_NAME = "浙江省政务服务平台"


def post(client: Client, sender: Any, kind: str, payload: dict[str, Any]) -> Any:
    body = sender.message(kind, payload)
    return client.post(
        "/federation/inbox", data=body, content_type="application/json", **sender.headers(body)
    )


def online_case(person: Any, node: str = "320000") -> Any:
    return crossprovince.open_cross_case(
        mode="online",
        actor=person,
        delivery="electronic",
        parts=[
            crossprovince.PartRequest(
                node=node,
                implementation_code="ITEM-1",
                item_name="护照签发",
                form_data={"address": "杭州市"},
                files=[crossprovince.MaterialFile("申请人身份证件", "id.pdf", "application/pdf", PDF)],
            )
        ],
    )


def test_online_application_is_sealed_for_the_deciding_node() -> None:
    jiangsu = make_sender("320000")
    person = make_person(level=RealNameLevel.L2)
    cross = online_case(person)
    message = OutboxMessage.objects.get(kind="case.forward")
    applicant = message.payload["applicant"]
    assert message.peer == jiangsu.peer and applicant["level"] == 2
    sealed = applicant["resident_id_sealed"]
    from gmssl import sm2 as gmssl_sm2

    opened = gmssl_sm2.CryptSM2(
        private_key=jiangsu.keys.private_hex, public_key=jiangsu.keys.public_hex
    ).decrypt(bytes.fromhex(sealed))
    assert opened.decode() == crossprovince.fieldcrypto.decrypt(
        cross.resident_id_ciphertext, context=crossprovince.registries.RESIDENT_ID_CONTEXT
    )
    assert message.payload["files"][0]["sm3"] == sm3_hex(PDF)
    assert "*" in cross.resident_id_masked


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"mode": "teleport"}, "通办模式"),
        ({"delivery": "pigeon"}, "送达方式"),
        ({"delivery": "post", "delivery_address": ""}, "邮寄地址"),
        ({"parts": []}, "至少选择"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(kwargs: dict[str, Any], expected: str) -> None:
    make_sender("320000")
    person = make_person(level=RealNameLevel.L2)
    values: dict[str, Any] = {
        "mode": "online",
        "actor": person,
        "delivery": "electronic",
        "parts": [crossprovince.PartRequest(node="320000", implementation_code="X")],
    }
    values.update(kwargs)
    with pytest.raises(crossprovince.CrossError, match=expected):
        crossprovince.open_cross_case(**values)


def test_level_one_people_and_non_clerks_cannot_use_the_modes_they_lack() -> None:
    make_sender("320000")
    part = crossprovince.PartRequest(node="320000", implementation_code="X")
    with pytest.raises(crossprovince.CrossError, match="实名二级"):
        crossprovince.open_cross_case(
            mode="online", actor=make_person(level=RealNameLevel.L1), delivery="electronic", parts=[part]
        )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        crossprovince.open_cross_case(
            mode="proxy", actor=make_person(level=RealNameLevel.L2), delivery="electronic", parts=[part]
        )
    with pytest.raises(crossprovince.CrossError, match="未在本节点登记"):
        crossprovince.open_cross_case(
            mode="proxy",
            actor=make_staff(make_organisation(), Role.WINDOW),
            delivery="electronic",
            parts=[crossprovince.PartRequest(node="440000", implementation_code="X")],
            applicant_name="张三",
            resident_id=crossprovince.fieldcrypto.decrypt(
                online_case(make_person(level=RealNameLevel.L2)).resident_id_ciphertext,
                context=crossprovince.registries.RESIDENT_ID_CONTEXT,
            ),
        )


def test_status_reports_apply_in_version_order_and_documents_are_checked(client: Client) -> None:
    jiangsu = make_sender("320000")
    cross = online_case(make_person(level=RealNameLevel.L2))
    part = cross.parts.get()
    document = b"%PDF-1.4 decision"
    newer = {
        "part": str(part.reference),
        "number": "3201002026112200001",
        "status": "approved",
        "status_label": "准予（已决定）",
        "version": 6,
        "decision_due": "2026-12-20",
        "document": {
            "title": "决定书",
            "sm3": sm3_hex(document),
            "data": base64.b64encode(document).decode(),
        },
    }
    assert post(client, jiangsu, "case.status", newer).json()["result"] == {"state": "decided"}
    older = {**newer, "status": "submitted", "version": 2, "document": None}
    assert post(client, jiangsu, "case.status", older).json()["result"] == {"stale": 1}
    part.refresh_from_db()
    assert part.state == PartState.DECIDED and part.remote_status == "approved"
    assert part.decision_document.read() == document and part.decision_due == "2026-12-20"
    broken = {**newer, "version": 7, "document": {"sm3": "0" * 64, "data": base64.b64encode(b"x").decode()}}
    refused = post(client, jiangsu, "case.status", broken)
    assert refused.status_code == 422 and "SM3" in refused.json()["detail"]
    stranger = make_sender("440000")
    assert post(client, stranger, "case.status", {**newer, "version": 9}).json()["result"] == {"unknown": 1}


def test_hub_stores_reports_replacing_the_same_day_and_refusing_other_regions(
    client: Client, settings: Any
) -> None:
    settings.YIWANG_NODE_CODE, settings.YIWANG_NODE_ROLE = "100000", "hub"
    zhejiang = make_sender("330000")
    rows = [
        {"region_code": "330100", "day": "2026-11-20", "filed": 5, "completed": 4, "completed_on_time": 3},
        {"region_code": "320100", "day": "2026-11-20", "filed": 9},
    ]
    answer = post(client, zhejiang, "stats.report", {"rows": rows}).json()
    assert answer["result"] == {"saved": 1, "refused": 1}
    post(client, zhejiang, "stats.report", {"rows": [{**rows[0], "filed": 6}]})
    assert NodeStatistic.objects.get().filed == 6
    data = client.get("/federation/cross/statistics.json?start=2026-11-01&end=2026-11-30").json()
    assert data["totals"]["filed"] == 6 and data["nodes"][0]["on_time_rate"] == 0.75
    assert client.get("/federation/cross/statistics.json?start=2026-12-01&end=2026-11-01").status_code == 400
    assert "全国政务服务统计" in client.get("/federation/cross/statistics").content.decode()


def test_statistics_report_goes_to_the_hub_outbox() -> None:
    make_sender("100000", role="hub")
    with transaction.atomic():
        sent = statistics.report(3, today=dt.date(2026, 11, 22))
    message = OutboxMessage.objects.get(kind="stats.report")
    assert message.payload["start"] == "2026-11-20" and len(message.payload["rows"]) == sent


def test_pages_for_the_person_and_the_clerk(client: Client) -> None:
    make_sender("320000")
    person = make_person(level=RealNameLevel.L2)
    cross = online_case(person)
    client.force_login(person)
    assert "护照签发" in client.get("/federation/cross/").content.decode()
    detail = client.get(f"/federation/cross/{cross.reference}").content.decode()
    assert "正在转交办理地" in detail and cross.resident_id_masked in detail
    form = client.get("/federation/cross/new").content.decode()
    assert "全程网办" in form and "代收代办" not in form
    refused = client.post("/federation/cross/new", {"mode": "online", "delivery": "post"})
    assert refused.status_code == 400 and "邮寄地址" in refused.content.decode()
    other = make_person(level=RealNameLevel.L2)
    client.force_login(other)
    assert client.get(f"/federation/cross/{cross.reference}").status_code == 404
    clerk = make_staff(make_organisation(), Role.WINDOW)
    client.force_login(clerk)
    assert "多地联办" in client.get("/federation/cross/new").content.decode()
    assert client.get(f"/federation/cross/{cross.reference}").status_code == 200
    CrossCasePart.objects.update(state=PartState.CLOSED)
    assert identity.local_node().code == "330000" and sm2.fingerprint(make_sender("310000").keys.public_hex)


def test_cases_forwarded_from_other_nodes_report_a_deemed_acceptance_in_one_batch(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The sweep's deemed acceptances reach the forwarding subscriber as one batch: every forwarded case
    among them is reported to its own origin, local cases are left alone."""
    import uuid

    from cases.case_factories import filed_case, publish
    from yiwang.cases.models import CaseStatus
    from yiwang.cases.sweep import sweep
    from yiwang.core import calendar_data, workdays
    from yiwang.federation.cross_models import CrossDelivery, CrossMode, ForwardedCase

    calendar_data.seed_calendar([2025, 2026, 2027])  # deadlines in working days (as in tests/cases)
    workdays.clear_cache()
    make_sender("320000"), make_sender("440000")
    implementation = publish(make_organisation())
    cases = [filed_case(implementation, make_person()) for _ in range(3)]
    for case, origin in zip(cases, ("320000", "440000"), strict=False):  # the third is a local case
        ForwardedCase.objects.create(
            part_reference=uuid.uuid4(),
            origin=origin,
            mode=CrossMode.ONLINE,
            case=case,
            delivery=CrossDelivery.ELECTRONIC,
        )
    assert cases[0].acceptance_due is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(cases[0].acceptance_due + dt.timedelta(days=1)).deemed_accepted == 3
    reports = OutboxMessage.objects.filter(kind="case.status").select_related("peer")
    assert {(m.peer.code, m.payload["status"]) for m in reports} == {
        ("320000", CaseStatus.ACCEPTED),
        ("440000", CaseStatus.ACCEPTED),
    }
