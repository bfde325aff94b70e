"""Identity registry backends that read through the exchange gateway (accounts.registries interface).

Select them with the settings
    YIWANG_POPULATION_REGISTRY = "yiwang.exchange.registries.ExchangePopulationRegistry"
    YIWANG_LEGAL_ENTITY_REGISTRY = "yiwang.exchange.registries.ExchangeLegalEntityRegistry"
Every check is then a logged, granted gateway call in the name of the organisation set as the platform's
identity consumer (InternalConsumer "identity"), so a person sees their real-name check in
"谁查看了我的数据". Resources are found by their source: the first active resource served by the
population (legal-entity) source.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiwang.accounts.registries import EntityRecord, PersonVerification

from . import gateway
from .models import CallResult, InternalConsumer, InternalUse, Resource

POPULATION_FIELDS = ("name", "household_status")
LEGAL_ENTITY_FIELDS = (
    "uscc",
    "name",
    "representative_name",
    "representative_id_index",
    "status_code",
    "region_code",
)


class RegistryUnavailable(ValidationError):
    """The registry could not answer (no grant, source down): shown to the person as the reason."""


def _consumer() -> InternalConsumer | None:
    return InternalConsumer.objects.select_related("organisation").filter(use=InternalUse.IDENTITY).first()


def _resource(adapter: str) -> Resource | None:
    return Resource.objects.filter(adapter=adapter, is_active=True).order_by("code").first()


def _ask(adapter: str, fields: tuple[str, ...], subject: str, purpose: str) -> gateway.Reply | str:
    consumer, resource = _consumer(), _resource(adapter)
    if consumer is None or resource is None:
        return _("平台尚未配置通过数据共享进行身份核验（使用单位或资源目录），请联系管理员。")
    return gateway.query(
        consumer.organisation,
        gateway.Query(resource_code=resource.code, fields=fields, subject=subject, purpose=purpose),
    )


class ExchangePopulationRegistry:
    def verify(self, name: str, resident_id: str) -> PersonVerification:
        reply = _ask("population", POPULATION_FIELDS, resident_id, _("统一身份认证：实名核验"))
        if isinstance(reply, str):
            return PersonVerification(False, reply)
        if reply.result == CallResult.NOT_FOUND:
            return PersonVerification(
                False, _("人口库中没有该身份证号码，请核对号码，或携带身份证到政务服务大厅办理实名核验。")
            )
        if not reply.ok:
            return PersonVerification(False, _("暂时无法完成人口库核验：%(r)s") % {"r": reply.reason})
        if reply.data.get("household_status") != "正常":
            return PersonVerification(False, _("该身份证号码在人口库中的户籍已注销，无法完成核验。"))
        if str(reply.data.get("name") or "").strip() != (name or "").strip():
            return PersonVerification(False, _("姓名与人口库登记的姓名不一致，请按身份证上的姓名填写。"))
        return PersonVerification(True)


class ExchangeLegalEntityRegistry:
    def lookup(self, uscc: str) -> EntityRecord | None:
        reply = _ask("legal_entity", LEGAL_ENTITY_FIELDS, uscc, _("统一身份认证：企业身份核验"))
        if isinstance(reply, str):
            raise RegistryUnavailable(reply, code="registry_unavailable")
        if reply.result == CallResult.NOT_FOUND:
            return None
        if not reply.ok:
            raise RegistryUnavailable(reply.reason, code="registry_unavailable")
        data = reply.data
        return EntityRecord(
            uscc=str(data["uscc"]),
            name=str(data["name"]),
            representative_name=str(data["representative_name"]),
            representative_id_index=str(data["representative_id_index"]),
            status=str(data["status_code"]),
            region_code=str(data["region_code"]),
        )
