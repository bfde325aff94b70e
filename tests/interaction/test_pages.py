"""The interaction pages and API: writing a message with an attachment, the handler's reply, transfer and
extension forms, the asker's rating and consent, the staff queue, Q&A and the knowledge base pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.identity_factories import make_person
from cases.case_factories import PDF_BYTES
from interaction.interaction_factories import Desk, consultation
from web.portal_data import build_portal_catalog, index_for_search
from yiwang.interaction import knowledge
from yiwang.interaction.models import Message, Status

pytestmark = pytest.mark.django_db


def test_write_a_consultation_with_an_attachment(client: Client) -> None:
    desk = Desk()
    person = make_person()
    client.force_login(person)
    assert "咨询" in client.get("/interaction/new").content.decode()
    missing = client.post("/interaction/new", {"kind": "consultation", "title": "", "content": ""})
    assert missing.status_code == 200 and "请修改以下问题" in missing.content.decode()
    response = client.post(
        "/interaction/new",
        {
            "kind": "consultation",
            "organisation": desk.organisation.pk,
            "title": "社保转移怎么办",
            "content": "从外省调入，社保关系如何转移？",
            "attachments": SimpleUploadedFile("证明.pdf", PDF_BYTES, content_type="application/pdf"),
            "publish_consent": "on",
        },
    )
    message = Message.objects.get(asker=person)
    assert response.status_code == 302 and response["Location"] == f"/interaction/m/{message.number}"
    assert message.attachments.count() == 1 and message.publish_consent
    fake = client.post(
        "/interaction/new",
        {
            "kind": "consultation",
            "organisation": desk.organisation.pk,
            "title": "再问",
            "content": "附件是假的",
            "attachments": SimpleUploadedFile("假.pdf", b"not a pdf", content_type="application/pdf"),
        },
    )
    assert "不是可接受的格式" in fake.content.decode()


def test_handler_replies_transfers_and_extends_through_the_page(client: Client) -> None:
    desk, other = Desk(), Desk()
    message = consultation(desk)
    client.force_login(desk.clerk)
    assert message.number in client.get("/interaction/staff/").content.decode()
    page = client.get(f"/interaction/m/{message.number}").content.decode()
    assert "转办给有权处理的单位" in page and "延期答复" in page
    bad = client.post(f"/interaction/m/{message.number}/extend", {"extend-days": "1", "extend-text": ""})
    assert bad.status_code == 400
    client.post(f"/interaction/m/{message.number}/extend", {"extend-days": "2", "extend-text": "需会商"})
    assert Message.objects.get(pk=message.pk).extension_days == 2
    moved = client.post(
        f"/interaction/m/{message.number}/transfer",
        {"transfer-to_organisation": other.organisation.pk, "transfer-text": "不属本单位职责"},
    )
    assert moved.status_code == 302 and moved["Location"] == "/interaction/staff/"
    assert client.get(f"/interaction/m/{message.number}").status_code == 404  # no longer ours
    client.force_login(other.clerk)
    client.post(f"/interaction/m/{message.number}/reply", {"reply-text": "已办理"})
    assert Message.objects.get(pk=message.pk).status == Status.REPLIED


def test_asker_rates_and_consents_then_the_handler_publishes(client: Client) -> None:
    desk = Desk()
    asker = make_person()
    message = consultation(desk, asker)
    client.force_login(desk.clerk)
    client.post(f"/interaction/m/{message.number}/reply", {"reply-text": "可以网上办理"})
    assert "提问人未同意公开" in client.get(f"/interaction/m/{message.number}").content.decode()
    client.force_login(asker)
    client.post(f"/interaction/m/{message.number}/rate", {"rate-satisfaction": "1", "rate-comment": ""})
    client.post(f"/interaction/m/{message.number}/consent")
    client.force_login(desk.clerk)
    client.post(f"/interaction/m/{message.number}/publish")
    message.refresh_from_db()
    assert message.satisfaction == 1 and message.published_at is not None
    client.logout()
    assert message.title in client.get("/interaction/public").content.decode()


def test_questions_answered_from_the_knowledge_base_with_a_hand_over(client: Client) -> None:
    build_portal_catalog()
    index_for_search()
    knowledge.sync_guide_faqs()
    page = client.get("/interaction/ask", {"q": "身份证过期了还能用吗"}).content.decode()
    assert "过期后不能作为有效身份证件使用" in page
    low = client.get("/interaction/ask", {"q": "居民身份证换领时照片可以自己带吗"}).content.decode()
    assert "转人工" in low and "居民身份证换领" in low
    person = make_person()
    client.force_login(person)
    handed = client.post("/interaction/hand-over", {"q": "居民身份证换领时照片可以自己带吗"})
    assert handed.status_code == 302
    assert Message.objects.get(asker=person).organisation.name == "杭州市公安局西湖区分局"
    assert "身份证过期了还能用吗" in client.get("/interaction/faq", {"q": "身份证过期"}).content.decode()
    api = client.get("/api/interaction/ask", {"q": "身份证过期了还能用吗"}).json()
    assert api["confident"] and api["faqs"][0]["question"] == "身份证过期了还能用吗？"
