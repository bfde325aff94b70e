"""A small published catalogue for portal tests (view tests and browser tests share it).

Import as ``from web.portal_data import build_portal_catalog``. Built with the catalogue factories and the
real services (submit → publish → withdraw), so the pages read exactly what publication writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from catalog.factories import (
    make_basic_item,
    make_guide,
    make_implementation,
    make_organisation,
    make_region,
    make_theme,
)
from yiwang.catalog import codes, services
from yiwang.catalog.models import Bundle, GuideVersion, Implementation, Theme
from yiwang.core.models import Organisation, Region

BLANK_FORM_PATH = "catalog/forms/2025/construction-permit-form.pdf"
RESULT_SAMPLE_PATH = "catalog/results/2025/construction-permit-sample.pdf"


@dataclass
class PortalCatalog:
    province: Region
    city: Region
    district: Region
    other_city: Region
    city_bureau: Organisation
    district_police: Organisation
    person_theme: Theme
    enterprise_theme: Theme
    permit: Implementation  # 行政许可, enterprise, fully online, 杭州市
    id_card: Implementation  # 行政确认, person, at the hall, appointment, 西湖区
    library_card: Implementation  # 公共服务 (not a power), person, 杭州市
    withdrawn: Implementation  # was published, then cancelled
    bundle: Bundle


def publish(guide: GuideVersion) -> Implementation:
    services.submit(guide)
    services.publish(guide)
    guide.implementation.refresh_from_db()
    return guide.implementation


def build_portal_catalog() -> PortalCatalog:
    province = make_region("330000", "浙江省")
    city = make_region("330100", "杭州市")
    district = make_region("330106", "西湖区")
    other_city = make_region("330200", "宁波市")
    city_bureau = make_organisation(city, name="杭州市住房和城乡建设局", short_name="市住建局")
    district_police = make_organisation(district, name="杭州市公安局西湖区分局", short_name="西湖公安")
    person_theme = make_theme("person-identity", "证件办理", codes.Audience.PERSON)
    enterprise_theme = make_theme("ent-build", "工程建设", codes.Audience.ENTERPRISE)

    default_storage.save(BLANK_FORM_PATH, ContentFile(b"%PDF-1.4 blank form"))
    default_storage.save(RESULT_SAMPLE_PATH, ContentFile(b"%PDF-1.4 result sample"))

    permit_guide = make_guide(
        implementation=make_implementation(organisation=city_bureau, name="建筑工程施工许可证核发"),
        themes=[enterprise_theme],
        aliases="施工许可证、开工许可",
        result_sample=RESULT_SAMPLE_PATH,
        materials=[
            {
                "name": "建筑工程施工许可申请表",
                "original_count": 1,
                "issuing_body": "申请人",
                "blank_form": BLANK_FORM_PATH,
            },
            {
                "name": "营业执照",
                "obtainable_by": codes.MaterialObtainable.LICENCE,
                "obtainable_source": "营业执照电子证照",
                "source_channel": codes.MaterialSourceChannel.GOVERNMENT,
            },
            {"name": "施工合同", "copy_count": 1, "necessity": codes.MaterialNecessity.DEFERRABLE},
        ],
    )
    permit = publish(permit_guide)

    id_basic = make_basic_item(
        name="居民身份证换领", item_type=codes.ItemType.CONFIRMATION, competent_department="公安部"
    )
    id_guide = make_guide(
        implementation=make_implementation(id_basic, district_police, name="居民身份证换领"),
        themes=[person_theme],
        name="居民身份证换领",
        aliases="身份证到期换证",
        item_type=codes.ItemType.CONFIRMATION,
        legal_basis="《中华人民共和国居民身份证法》第五条",
        legal_limit=None,
        promised_limit=20,
        result_name="居民身份证",
        result_type=codes.ResultType.LICENCE,
        service_objects=[codes.ServiceObject.PERSON.value],
        handling_forms=[codes.HandlingForm.WINDOW.value],
        online_depth=codes.OnlineDepth.PRE_REVIEW,
        is_online=False,
        online_url="",
        visits=1,
        onsite_reason="需现场采集人像和指纹信息",
        supports_appointment=True,
        supports_online_payment=False,
        supports_delivery=True,
        delivery_methods=[codes.DeliveryMethod.WINDOW.value, codes.DeliveryMethod.POST.value],
        charges_fee=True,
        fee_basis="《居民身份证工本费收费标准》",
        place="杭州市西湖区文三路200号西湖区行政服务中心1楼3号窗口",
        consultation_phone="0571-87280000",
        supervision_phone="0571-87281111",
        materials=[{"name": "原居民身份证", "original_count": 1}, {"name": "户口簿", "original_count": 1}],
        steps=[
            {"name": "受理", "role": "户籍窗口民警", "time_limit": 1},
            {"name": "审核", "role": "户籍民警", "time_limit": 5},
            {"name": "制证", "role": "制证中心", "time_limit": 14},
        ],
        fees=[
            {
                "name": "工本费",
                "standard": "每证20元",
                "amount": Decimal("20.00"),
                "basis": "《居民身份证工本费收费标准》",
            }
        ],
        special_procedures=[],
        faqs=[
            {"question": "身份证过期了还能用吗？", "answer": "过期后不能作为有效身份证件使用，请及时换领。"}
        ],
    )
    id_card = publish(id_guide)

    library_basic = make_basic_item(
        name="公共图书馆读者证办理",
        item_type=codes.ItemType.PUBLIC_SERVICE,
        competent_department="文化和旅游部",
    )
    library_guide = make_guide(
        implementation=make_implementation(library_basic, city_bureau, name="公共图书馆读者证办理"),
        themes=[person_theme],
        name="公共图书馆读者证办理",
        item_type=codes.ItemType.PUBLIC_SERVICE,
        legal_limit=None,
        promised_limit=0,
        case_type=codes.CaseType.IMMEDIATE,
        result_name="",
        result_type=codes.ResultType.NONE,
        result_sample="",
        charges_fee=False,
        fee_basis="",
        supports_online_payment=False,
        service_objects=[codes.ServiceObject.PERSON.value],
        fees=[],
        special_procedures=[],
        materials=[{"name": "居民身份证", "original_count": 1}],
        steps=[{"name": "受理并发证", "role": "窗口人员", "time_limit": 0}],
    )
    library_card = publish(library_guide)

    withdrawn_basic = make_basic_item(name="临时占用城市道路审批")
    withdrawn_guide = make_guide(
        implementation=make_implementation(withdrawn_basic, city_bureau, name="临时占用城市道路审批"),
        name="临时占用城市道路审批",
    )
    withdrawn = publish(withdrawn_guide)
    withdrawn = services.withdraw(withdrawn, reason="依据《浙江省人民政府关于调整行政许可事项的决定》取消")

    bundle = Bundle.objects.create(
        code="YJS-TEST-001",
        name="新建住宅开工一件事",
        description="施工许可与相关证件一次办理。",
        audience=codes.Audience.ENTERPRISE,
        lead_organisation=city_bureau,
        region=city,
        promised_limit=10,
    )
    services.set_bundle_members(bundle, [permit, id_card])
    services.publish_bundle(bundle)

    return PortalCatalog(
        province=province,
        city=city,
        district=district,
        other_city=other_city,
        city_bureau=city_bureau,
        district_police=district_police,
        person_theme=person_theme,
        enterprise_theme=enterprise_theme,
        permit=permit,
        id_card=id_card,
        library_card=library_card,
        withdrawn=withdrawn,
        bundle=bundle,
    )


def index_for_search() -> None:
    """Bring the search index in line with the catalogue (after-commit indexing never runs in a rolled-back
    test transaction) and drop the cached vocabulary, so search sees exactly this catalogue."""
    from yiwang.search import indexer, vocabulary

    indexer.reindex_all()
    vocabulary.invalidate()
