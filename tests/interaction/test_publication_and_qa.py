"""Publication only with the asker's consent (never naming the asker), the knowledge base grown from
published consultations and guide FAQs, and intelligent Q&A with hand-over to a person."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.identity_factories import make_person
from interaction.interaction_factories import Desk, consultation
from web.portal_data import build_portal_catalog, index_for_search
from yiwang.interaction import knowledge, services
from yiwang.interaction.models import FaqEntry, FaqSource, Kind, Message
from yiwang.interaction.services import InteractionError

pytestmark = pytest.mark.django_db


def _answered(desk: Desk, asker: object = None, **fields: object) -> Message:
    message = consultation(desk, asker, **fields)  # type: ignore[arg-type]
    return services.reply(
        message, actor=desk.clerk, text="请携带出生医学证明、父母户口簿到户籍窗口办理，也可网上申报。"
    )


def test_publish_only_with_consent() -> None:
    desk = Desk()
    message = _answered(desk)
    with pytest.raises(InteractionError, match="未同意公开"):
        services.publish(message, actor=desk.clerk)
    assert not Message.objects.filter(published_at__isnull=False).exists()


def test_a_published_consultation_shows_without_the_asker_and_joins_the_knowledge_base(
    client: Client,
) -> None:
    desk = Desk()
    asker = make_person(name="王小明")
    message = _answered(desk, asker, publish_consent=True)
    services.publish(message, actor=desk.clerk)
    entry = FaqEntry.objects.get(message=message)
    assert entry.source == FaqSource.CONSULTATION and entry.is_active
    page = client.get(f"/interaction/m/{message.number}").content.decode()
    assert "出生医学证明" in page and "王小明" not in page and asker.phone not in page
    listing = client.get("/interaction/public").content.decode()
    assert message.title in listing and "王小明" not in listing
    api = client.get("/api/interaction/public").json()
    assert api[0]["number"] == message.number and "asker" not in api[0]


def test_withdrawing_consent_takes_the_reply_down() -> None:
    desk = Desk()
    asker = make_person()
    message = _answered(desk, asker, publish_consent=True)
    services.publish(message, actor=desk.clerk)
    services.set_consent(message, asker=asker, consent=False)
    message.refresh_from_db()
    assert message.published_at is None
    assert not FaqEntry.objects.get(message=message).is_active


def test_unpublished_messages_stay_private(client: Client) -> None:
    desk = Desk()
    message = _answered(desk)
    assert client.get(f"/interaction/m/{message.number}").status_code == 404
    client.force_login(make_person())
    assert client.get(f"/interaction/m/{message.number}").status_code == 404


def test_guide_faqs_enter_the_knowledge_base_and_answer_questions() -> None:
    catalog = build_portal_catalog()
    index_for_search()
    changed, _retired = knowledge.sync_guide_faqs()
    assert changed >= 2
    assert FaqEntry.objects.filter(source=FaqSource.GUIDE, implementation=catalog.id_card).exists()
    result = knowledge.answer("身份证过期了还能用吗")
    assert result.faqs[0].entry.question == "身份证过期了还能用吗？"
    assert result.confident
    # Traditional characters are folded like the portal search does.
    assert knowledge.answer("身份證過期了還能用嗎").faqs[0].entry.question == "身份证过期了还能用吗？"


def test_low_confidence_hands_over_to_a_person_routed_by_item() -> None:
    catalog = build_portal_catalog()
    index_for_search()
    knowledge.sync_guide_faqs()
    question = "居民身份证换领时照片可以自己带吗"
    result = knowledge.answer(question)
    assert not result.confident
    assert result.items and result.items[0].implementation_id == catalog.id_card.pk
    asker = make_person()
    message = services.hand_over(question, asker=asker)
    assert message.kind == Kind.CONSULTATION and message.organisation == catalog.district_police
    assert message.content == question


def test_hand_over_without_a_matching_item_asks_for_an_organisation() -> None:
    with pytest.raises(InteractionError, match="请选择受理部门"):
        services.hand_over("今天天气怎么样", asker=make_person())
    desk = Desk()
    message = services.hand_over("今天天气怎么样", asker=make_person(), organisation=desk.organisation)
    assert message.organisation == desk.organisation
