"""Three REAL nodes — the national hub (100000), Zhejiang (330000) and Jiangsu (320000) — each with its own
database, key and server process, registered with each other by exchanging cards. The tests run in order
on the same three nodes: catalogue push and withdrawal, the three 跨省通办 modes end to end, statistics,
a node stopped in the middle of a delivery, and forged or replayed messages.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from accounts.identity_factories import make_resident_id
from federation.nodes import YIWANG, Node, migrate_template, register_all
from yiwang.core import sm2
from yiwang.core.crypto import canonical_json
from yiwang.federation import signing

pytestmark = [pytest.mark.xdist_group("federation")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Node]]:
    root = tmp_path_factory.mktemp("federation")
    # YIWANG_TEST_FEDERATION_TEMPLATE=/some/dir keeps the migrated template between local runs (opt-in).
    template = migrate_template(Path(os.environ.get("YIWANG_TEST_FEDERATION_TEMPLATE", root / "template")))
    found = {
        "hub": Node("100000", "国家政务服务平台", "hub", root),
        "zj": Node("330000", "浙江省政务服务平台", "node", root),
        "js": Node("320000", "江苏省政务服务平台", "node", root),
    }
    for node in found.values():
        node.prepare(template)
    try:
        for node in found.values():
            node.start()
        register_all(list(found.values()))
        # Every test below needs published items and their organisations at both provinces: make them
        # here, so no test depends on another having run first.
        found["zj"].run("generate", "--items", "20", "--region", "330000", "--no-progress")
        # Enough items that at least three are for persons (the cross-province tests pick those).
        found["js"].run("generate", "--items", "24", "--region", "320000", "--no-progress")
        yield found
    finally:
        for node in found.values():
            node.stop()


# --- helpers run inside a node ----------------------------------------------------------------------------

PICK_ITEMS = """
from yiwang.catalog.selectors import published_implementations
from yiwang.cases import formschema
picked = []
for implementation in published_implementations().order_by("pk"):
    guide = implementation.published_version
    if formschema.is_enterprise_guide(guide):
        continue
    schema = formschema.form_schema_for(guide)
    materials = [m.name for m in guide.materials.all() if m.necessity == "required"]
    picked.append({"code": implementation.implementation_code, "name": implementation.name,
                   "schema": schema, "materials": materials})
    if len(picked) == 3:
        break
result = picked
"""

PERSON = """
from django.utils import timezone
from yiwang.accounts import fieldcrypto, registries
from yiwang.accounts.models import PersonIdentity, User
from yiwang.core.validators import mask_resident_id
user = User.objects.create_user(username=PHONE, password=None, display_name=NAME, phone=PHONE)
PersonIdentity.objects.create(
    user=user,
    resident_id_ciphertext=fieldcrypto.encrypt(RID, context=registries.RESIDENT_ID_CONTEXT),
    resident_id_index=registries.resident_id_index(RID),
    resident_id_masked=mask_resident_id(RID),
    level=2, level_source="population_registry", level_verified_at=timezone.now(),
)
result = user.pk
"""

CLERK = """
from yiwang.accounts.models import Membership, Role, User
from yiwang.core.models import Organisation
organisation = (
    Organisation.objects.filter(region__code__startswith=PREFIX).order_by("pk").first()
    or Organisation.objects.order_by("pk").first()
)
clerk, _ = User.objects.get_or_create(username=USERNAME, defaults={"display_name": "窗口收件员"})
Membership.objects.get_or_create(user=clerk, organisation=organisation, role=Role.WINDOW)
result = clerk.pk
"""

OPEN = """
import base64
from yiwang.accounts.models import User
from yiwang.federation import crossprovince
spec = SPEC
parts = [
    crossprovince.PartRequest(
        node=p["node"], implementation_code=p["code"], item_name=p["name"], form_data=p["form"],
        files=[crossprovince.MaterialFile(material=m, name=f"{i}.pdf", content_type="application/pdf",
                                          data=base64.b64decode(spec["pdf"])) for i, m in enumerate(p["materials"])],
    )
    for p in spec["parts"]
]
cross = crossprovince.open_cross_case(
    mode=spec["mode"], actor=User.objects.get(username=spec["actor"]), parts=parts,
    delivery=spec["delivery"], applicant_name=spec.get("name", ""), resident_id=spec.get("rid", ""),
    contact_phone="13800001234", delivery_address=spec.get("address", ""),
)
result = str(cross.reference)
"""

PARTS = """
from yiwang.federation.cross_models import CrossCase
cross = CrossCase.objects.get(reference=REF)
result = [
    {"node": p.node, "state": p.state, "status": p.remote_status, "number": p.remote_number,
     "due": p.decision_due, "tracking": p.tracking_number, "detail": p.detail,
     "document": bool(p.decision_document), "sm3": p.decision_sm3, "reference": str(p.reference)}
    for p in cross.parts.order_by("pk")
]
"""

DECIDE = """
from yiwang.accounts.models import Membership, Role, User
from yiwang.cases import gates, services
from yiwang.cases.models import Case, StepStatus
case = Case.objects.get(number=NUMBER)
clerk, _ = User.objects.get_or_create(username=f"officer-{case.organisation_id}", defaults={"display_name": "办理地工作人员"})
for role in (Role.WINDOW, Role.REVIEWER, Role.APPROVER):
    Membership.objects.get_or_create(user=clerk, organisation=case.organisation, role=role)
services.accept(case, actor=clerk)
services.start_review(case, actor=clerk)
while (step := case.steps.filter(status=StepStatus.ACTIVE).order_by("lane", "order").first()) is not None:
    services.complete_step(case, step, actor=clerk)
if APPROVE:
    services.approve(case, actor=clerk, reason="符合法定条件")
else:
    services.refuse(case, actor=clerk, reason="申请材料不符合法定形式")
services.complete(case, actor=clerk)
case.refresh_from_db()
if not gates.delivery_problems(case):
    services.deliver(case, actor=clerk, method=METHOD, tracking_number=TRACKING)
case.refresh_from_db()
result = {"status": case.status, "channel": case.channel, "due": f"{case.decision_due:%Y-%m-%d}",
          "applicant": case.applicant_id}
"""


def filled(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """Values for every required field of the deciding node's form."""
    values: dict[str, Any] = {}
    for field in schema["required"]:
        spec = schema["properties"][field]
        if field == "applicant_name":
            values[field] = name
        elif field == "contact_phone":
            values[field] = "13800001234"
        elif "enum" in spec:
            values[field] = spec["enum"][0]
        elif spec.get("type") in ("integer", "number"):
            values[field] = max(int(spec.get("minimum", 1)), 1)
        elif spec.get("pattern", "").startswith(r"^\d"):
            values[field] = "6222020000000000001"
        else:
            values[field] = "江苏省南京市玄武区中山路1号跨省通办"
    return values


def pdf_b64() -> str:
    import base64

    return base64.b64encode(PDF).decode()


def part_spec(item: dict[str, Any], node: str, name: str) -> dict[str, Any]:
    return {
        "node": node,
        "code": item["code"],
        "name": item["name"],
        "form": filled(item["schema"], name),
        "materials": item["materials"],
    }


def parts_of(node: Node, reference: str) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = node.shell(PARTS, REF=reference)
    return parts


def decide(node: Node, number: str, *, approve: bool, method: str, tracking: str = "") -> dict[str, Any]:
    outcome: dict[str, Any] = node.shell(
        DECIDE, NUMBER=number, APPROVE=approve, METHOD=method, TRACKING=tracking
    )
    return outcome


# --- the tests (in order, on the same nodes) ------------------------------------------------------------


def step_catalogue_push_and_withdrawal_reach_the_hub(nodes: dict[str, Node]) -> None:
    hub, zj, js = nodes["hub"], nodes["zj"], nodes["js"]
    assert "20" in zj.run("federation", "sync-catalogue")
    js.run("federation", "sync-catalogue")
    assert "送达" in zj.deliver() and js.deliver()
    page = hub.get("/federation/catalogue", params={"region": "330000"})
    assert page.status_code == 200
    counts = hub.shell(
        """
        from yiwang.federation.models import RemoteImplementation
        result = {n: RemoteImplementation.objects.filter(node=n, withdrawn=False).count() for n in ("330000", "320000")}
        """
    )
    assert counts == {"330000": 20, "320000": 24}
    code = zj.shell(
        """
        from yiwang.catalog import services
        from yiwang.catalog.selectors import published_implementations
        implementation = published_implementations().order_by("pk").first()
        services.withdraw(implementation, reason="依据文件取消")
        result = implementation.implementation_code
        """
    )
    zj.deliver()
    assert hub.get(f"/federation/catalogue/{code}").status_code == 404
    assert hub.get("/federation/catalogue", params={"region": "330000"}).status_code == 200


def step_fully_online_case_runs_at_the_deciding_node_and_reports_back(nodes: dict[str, Node]) -> None:
    zj, js = nodes["zj"], nodes["js"]
    items = js.shell(PICK_ITEMS)
    rid = make_resident_id("330106", "19880512")
    zj.shell(PERSON, PHONE="13900000101", NAME="钱塘", RID=rid)
    spec = {
        "mode": "online",
        "actor": "13900000101",
        "delivery": "electronic",
        "pdf": pdf_b64(),
        "parts": [part_spec(items[0], "320000", "钱塘")],
    }
    reference = zj.shell(OPEN, SPEC=spec)
    assert parts_of(zj, reference)[0]["state"] == "sending"
    zj.deliver()  # case.forward → Jiangsu files it (API channel) and queues the first status
    js.deliver()
    [part] = parts_of(zj, reference)
    assert part["state"] == "filed" and part["status"] == "submitted" and part["number"], part
    outcome = decide(js, part["number"], approve=True, method="electronic")
    assert outcome["channel"] == "api"
    js.deliver()
    [part] = parts_of(zj, reference)
    assert part["state"] == "closed" and part["status"] in ("completed", "delivered")
    assert part["document"] and len(part["sm3"]) == 64
    assert part["due"] == outcome["due"]  # the deadline as Jiangsu's calendar computed it
    # The person at Jiangsu is the one whose ID Zhejiang sent; the number is stored encrypted and masked.
    stored = js.shell(
        """
        from yiwang.accounts import registries
        from yiwang.accounts.models import PersonIdentity
        identity = PersonIdentity.objects.get(resident_id_index=registries.resident_id_index(RID))
        result = {"masked": identity.resident_id_masked, "clear_stored": RID in identity.resident_id_ciphertext}
        """,
        RID=rid,
    )
    assert stored["masked"] != rid and "*" in stored["masked"] and stored["clear_stored"] is False
    outbox_text = zj.shell(
        """
        from yiwang.federation.models import OutboxMessage
        result = [json.dumps(m.payload, ensure_ascii=False) for m in OutboxMessage.objects.filter(kind="case.forward")]
        """
    )
    assert all(rid not in text for text in outbox_text)  # sealed for Jiangsu's key in the outbox


def step_proxy_window_forwards_materials_and_the_result_returns_by_post(nodes: dict[str, Node]) -> None:
    zj, js = nodes["zj"], nodes["js"]
    items = js.shell(PICK_ITEMS)
    zj.shell(CLERK, PREFIX="33", USERNAME="zj-window")
    rid = make_resident_id("330102", "19750101")
    spec = {
        "mode": "proxy",
        "actor": "zj-window",
        "delivery": "post",
        "address": "浙江省杭州市上城区解放路 18 号",
        "name": "吴山",
        "rid": rid,
        "pdf": pdf_b64(),
        "parts": [part_spec(items[1], "320000", "吴山")],
    }
    reference = zj.shell(OPEN, SPEC=spec)
    zj.deliver()
    js.deliver()
    [part] = parts_of(zj, reference)
    assert part["state"] == "filed", part
    files = js.shell(
        """
        from yiwang.cases.models import Case, CaseFile
        case = Case.objects.get(number=NUMBER)
        result = {"channel": case.channel, "files": CaseFile.objects.filter(material__case=case).count(),
                  "sm3": sorted(set(CaseFile.objects.filter(material__case=case).values_list("sm3", flat=True)))}
        """,
        NUMBER=part["number"],
    )
    from yiwang.core.crypto import sm3_hex

    assert files["channel"] == "window" and files["files"] == len(items[1]["materials"])
    assert files["sm3"] == [sm3_hex(PDF)]
    decide(js, part["number"], approve=False, method="post", tracking="SF1234567890")
    js.deliver()
    [part] = parts_of(zj, reference)
    assert part["state"] == "closed" and part["status"] == "delivered" and part["tracking"] == "SF1234567890"
    assert part["document"] and "不符合" in part["detail"]


def step_a_file_whose_digest_does_not_match_is_refused_on_arrival(nodes: dict[str, Node]) -> None:
    zj, js = nodes["zj"], nodes["js"]
    items = js.shell(PICK_ITEMS)
    rid = make_resident_id("330102", "19800202")
    spec = {
        "mode": "proxy",
        "actor": "zj-window",
        "delivery": "electronic",
        "name": "孤山",
        "rid": rid,
        "pdf": pdf_b64(),
        "parts": [part_spec(items[0], "320000", "孤山")],
    }
    reference = zj.shell(
        OPEN
        + """
from yiwang.federation.models import OutboxMessage
message = OutboxMessage.objects.filter(kind="case.forward").order_by("-pk").first()
message.payload["files"][0]["sm3"] = "0" * 64  # as if the bytes changed after the window checked them
message.save(update_fields=["payload"])
""",
        SPEC=spec,
    )
    zj.deliver()
    js.deliver()
    [part] = parts_of(zj, reference)
    assert part["state"] == "rejected" and "SM3" in part["detail"] and not part["number"]


def step_joint_case_one_window_each_part_reports_its_own_status(nodes: dict[str, Node]) -> None:
    zj, js = nodes["zj"], nodes["js"]
    items = js.shell(PICK_ITEMS)
    rid = make_resident_id("330105", "19920909")
    spec = {
        "mode": "joint",
        "actor": "zj-window",
        "delivery": "electronic",
        "name": "宝石",
        "rid": rid,
        "pdf": pdf_b64(),
        "parts": [part_spec(items[1], "320000", "宝石"), part_spec(items[2], "320000", "宝石")],
    }
    reference = zj.shell(OPEN, SPEC=spec)
    zj.deliver()
    js.deliver()
    first, second = parts_of(zj, reference)
    assert first["state"] == second["state"] == "filed" and first["number"] != second["number"]
    decide(js, first["number"], approve=True, method="electronic")
    js.deliver()
    first, second = parts_of(zj, reference)
    assert first["state"] == "closed" and second["state"] == "filed"  # each part on its own
    applicants = js.shell(
        """
        from yiwang.cases.models import Case
        result = sorted({Case.objects.get(number=A).applicant_id, Case.objects.get(number=B).applicant_id})
        """,
        A=first["number"],
        B=second["number"],
    )
    assert len(applicants) == 1  # one person at Jiangsu, matched by the forwarded identity


def step_nodes_report_statistics_and_the_hub_serves_them(nodes: dict[str, Node]) -> None:
    hub, js = nodes["hub"], nodes["js"]
    assert "行统计" in js.run("federation", "stats-report", "--days", "3")
    js.deliver()
    data = hub.get("/federation/cross/statistics.json").json()
    jiangsu = {row["node"]: row for row in data["nodes"]}["320000"]
    assert jiangsu["filed"] >= 4 and jiangsu["cross_province"] >= 4 and jiangsu["completed"] >= 3
    assert all(row["region_code"].startswith("32") for row in data["rows"] if row["node"] == "320000")
    assert hub.get("/federation/cross/statistics").status_code == 200


def step_a_node_stopped_mid_delivery_loses_nothing_and_applies_nothing_twice(nodes: dict[str, Node]) -> None:
    hub, zj = nodes["hub"], nodes["zj"]
    batch = f"9{uuid.uuid4().int % 10**6:06d}"
    zj.shell(
        """
        from django.db import transaction
        from yiwang.federation import outbox
        hub = outbox.hub()
        for n in range(150):
            with transaction.atomic():
                outbox.enqueue(hub, "catalog.upsert", {"items": [{
                    "implementation_code": f"T{BATCH}{n:03d}", "name": f"断点续传事项{n}",
                    "region": {"code": "330100", "name": "杭州市"}, "organisation": "测试机构",
                    "item_type": "01", "version": 1, "document": {"n": n}}]})
        """,
        BATCH=batch,
    )
    delivered_before = zj.delivered_count("catalog.upsert")
    loop = subprocess.Popen(
        [YIWANG, "federation", "deliver", "--loop", "--seconds", "150"],
        env=zj.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Stop the hub mid-delivery (some messages through, the rest fail and wait for their retry): once the
    # loop has delivered its first message, however long a loaded machine took to start it.
    deadline = time.monotonic() + 120
    while zj.delivered_count("catalog.upsert") <= delivered_before and time.monotonic() < deadline:
        time.sleep(0.05)
    hub.stop()
    time.sleep(4)
    hub.start()
    output, errors = loop.communicate(timeout=200)
    assert loop.returncode == 0, errors
    status = zj.shell(
        """
        from django.db.models import Count
        from yiwang.federation.models import OutboxMessage
        result = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("id")))
        result["retried"] = OutboxMessage.objects.filter(kind="catalog.upsert", attempts__gt=1).count()
        """
    )
    assert status["retried"] > 0, "the hub stopped after every message was through: nothing was tested"
    assert status.get("pending", 0) == 0 and status.get("dead", 0) == 0, (status, output)
    landed = hub.shell(
        """
        from yiwang.federation.models import ReceivedMessage, RemoteImplementation
        result = RemoteImplementation.objects.filter(implementation_code__startswith=f"T{BATCH}").count()
        """,
        BATCH=batch,
    )
    assert landed == 150


def step_forged_stale_and_replayed_messages_are_refused(nodes: dict[str, Node]) -> None:
    hub, zj = nodes["hub"], nodes["zj"]
    private_hex = zj.shell(
        "from yiwang.federation import identity\nresult = identity.private_hex(identity.active_key())"
    )
    public_hex = sm2.public_key_of(private_hex)
    body = canonical_json(
        {
            "id": str(uuid.uuid4()),
            "from": "330000",
            "to": "100000",
            "kind": "catalog.withdraw",
            "sent_at": "2026-11-22T00:00:00+00:00",
            "payload": {"codes": ["nothing"]},
        }
    ).encode()

    def post(headers: dict[str, str], content: bytes = body) -> httpx.Response:
        return httpx.post(
            hub.url + "/federation/inbox",
            content=content,
            headers={**headers, "Content-Type": "application/json"},
            timeout=30,
        )

    good = signing.sign_headers(
        method="POST",
        path="/federation/inbox",
        body=body,
        sender="330000",
        private_hex=private_hex,
        public_hex=public_hex,
    )
    first = post(good)
    assert first.status_code == 200 and first.json()["duplicate"] is False
    replay = post(good)  # the same captured request again: recognised, not applied twice
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    stolen = sm2.generate_keypair()
    forged = signing.sign_headers(
        method="POST",
        path="/federation/inbox",
        body=body,
        sender="330000",
        private_hex=stolen.private_hex,
        public_hex=stolen.public_hex,
    )
    assert post(forged).status_code == 401
    old = str(int(time.time()) - 3600)
    stale = {
        signing.HEADER_NODE: "330000",
        signing.HEADER_TIME: old,
        signing.HEADER_SIGNATURE: sm2.sign(
            private_hex,
            signing.string_to_sign("POST", "/federation/inbox", body, old, "330000"),
            public_hex=public_hex,
        ),
    }
    assert post(stale).status_code == 401
    assert post(good, body.replace(b"nothing", b"something")).status_code == 401
    unknown = {**good, signing.HEADER_NODE: "440000"}
    assert post(unknown).status_code == 403


def step_pages_of_the_origin_node_answer(nodes: dict[str, Node]) -> None:
    zj = nodes["zj"]
    assert zj.get("/federation/cross/", follow_redirects=False).status_code in (302, 301)
    assert zj.get("/federation/node").json()["code"] == "330000"
    assert Path(zj.data_dir / "yiwang.sqlite3").exists()


# The steps build on each other (the same nodes, cases filed in one step are counted in a later one), so
# one test runs them in order: test schedulers are free to reorder separate tests.
STEPS = (
    step_catalogue_push_and_withdrawal_reach_the_hub,
    step_fully_online_case_runs_at_the_deciding_node_and_reports_back,
    step_proxy_window_forwards_materials_and_the_result_returns_by_post,
    step_a_file_whose_digest_does_not_match_is_refused_on_arrival,
    step_joint_case_one_window_each_part_reports_its_own_status,
    step_nodes_report_statistics_and_the_hub_serves_them,
    step_a_node_stopped_mid_delivery_loses_nothing_and_applies_nothing_twice,
    step_forged_stale_and_replayed_messages_are_refused,
    step_pages_of_the_origin_node_answer,
)


def test_three_nodes_end_to_end(nodes: dict[str, Node]) -> None:
    for step in STEPS:
        step(nodes)
