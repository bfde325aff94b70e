"""A small published catalogue for search tests, written straight with the ORM (fast, no services).

Import as ``from search.fixtures import build_catalogue``. Each item is carried out in two places: by a
city department of 杭州市 (330100) and by a county department of 宁波市鄞州区 (330212), so region-subtree
filters have something to tell apart. The content is illustrative test data, not official guides.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from stdnum.cn import uscc

from yiwang.catalog import codes
from yiwang.catalog.models import (
    BasicItem,
    Faq,
    GuideStatus,
    GuideVersion,
    Implementation,
    Material,
    PublicStatus,
    Theme,
)
from yiwang.core.models import Organisation, Region, RegionLevel

REGIONS = (
    ("330000", "浙江省", RegionLevel.PROVINCE, None),
    ("330100", "杭州市", RegionLevel.PREFECTURE, "330000"),
    ("330200", "宁波市", RegionLevel.PREFECTURE, "330000"),
    ("330212", "鄞州区", RegionLevel.COUNTY, "330200"),
)
PLACES = ("330100", "330212")
PLACE_PREFIX = {"330100": "杭州市", "330212": "宁波市鄞州区"}

# key → (name suffix, short name)
DEPARTMENTS = {
    "police": ("公安局", "公安局"),
    "traffic": ("公安局交通警察支队", "交警支队"),
    "exit": ("公安局出入境管理局", "出入境"),
    "civil": ("民政局", "民政局"),
    "market": ("市场监督管理局", "市场监管局"),
    "housing": ("住房和城乡建设局", "住建局"),
    "fund": ("住房公积金管理中心", "公积金中心"),
    "health": ("卫生健康局", "卫健局"),
    "education": ("教育局", "教育局"),
    "hr": ("人力资源和社会保障局", "人社局"),
    "disabled": ("残疾人联合会", "残联"),
    "land": ("自然资源和规划局", "自然资源局"),
}

THEMES = (
    ("P01", "户籍办理", codes.Audience.PERSON),
    ("P02", "婚姻登记", codes.Audience.PERSON),
    ("P03", "生育收养", codes.Audience.PERSON),
    ("P04", "社会保障", codes.Audience.PERSON),
    ("P05", "出境入境", codes.Audience.PERSON),
    ("P06", "交通出行", codes.Audience.PERSON),
    ("P07", "职业资格", codes.Audience.PERSON),
    ("P08", "住房保障", codes.Audience.PERSON),
    ("E01", "设立变更", codes.Audience.ENTERPRISE),
    ("E02", "准营准办", codes.Audience.ENTERPRISE),
    ("E03", "工程建设", codes.Audience.ENTERPRISE),
)


@dataclass(frozen=True)
class Item:
    name: str
    item_type: str
    department: str
    audience: str  # person | enterprise | both
    depth: int
    aliases: str = ""
    materials: tuple[str, ...] = ()
    faqs: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    popularity: int = 0
    extra: dict[str, str] = field(default_factory=dict)


C, L, P, B = (
    codes.ItemType.CONFIRMATION,
    codes.ItemType.LICENSING,
    codes.ItemType.PUBLIC_SERVICE,
    codes.ItemType.BENEFIT,
)

ITEMS: tuple[Item, ...] = (
    Item(
        "居民身份证申领",
        C,
        "police",
        "person",
        3,
        "办身份证、首次办理身份证",
        ("居民户口簿", "近期免冠照片"),
        ("首次申领居民身份证需要本人到场吗？",),
        ("P01",),
        900,
    ),
    Item(
        "居民身份证换领",
        C,
        "police",
        "person",
        3,
        "身份证到期换证",
        ("原居民身份证", "居民户口簿"),
        ("居民身份证有效期满前多久可以换领？",),
        ("P01",),
        700,
    ),
    Item(
        "居民身份证补领",
        C,
        "police",
        "person",
        3,
        "身份证丢失补办",
        ("居民户口簿", "近期免冠照片"),
        ("身份证丢了在外地能补办吗？",),
        ("P01",),
        650,
    ),
    Item(
        "居住证签发",
        C,
        "police",
        "person",
        3,
        "办居住证",
        ("居民身份证", "居住登记凭证", "合法稳定就业证明"),
        ("居住证签发需要居住满多久？",),
        ("P01",),
        500,
    ),
    Item(
        "户口迁移",
        C,
        "police",
        "person",
        2,
        "迁户口、户口迁入",
        ("居民户口簿", "准予迁入证明"),
        ("户口迁移需要本人到场吗？",),
        ("P01",),
        400,
    ),
    Item(
        "出生登记",
        C,
        "police",
        "person",
        3,
        "新生儿落户、报户口",
        ("出生医学证明", "父母双方居民户口簿", "父母结婚证"),
        ("孩子出生后多久内要办理出生登记？",),
        ("P01", "P03"),
        450,
    ),
    Item(
        "内地居民结婚登记",
        C,
        "civil",
        "person",
        2,
        "领结婚证",
        (
            "居民身份证",
            "居民户口簿",
            "本人无配偶以及与对方当事人没有直系血亲和三代以内旁系血亲关系的签字声明",
        ),
        ("结婚登记可以预约吗？",),
        ("P02",),
        600,
    ),
    Item(
        "机动车驾驶证补领",
        L,
        "traffic",
        "person",
        4,
        "驾照丢了补办",
        ("居民身份证", "机动车驾驶人身体条件证明"),
        ("驾驶证补领后原证还能用吗？",),
        ("P06",),
        550,
    ),
    Item(
        "住房公积金提取",
        P,
        "fund",
        "person",
        4,
        "公积金提取、提取公积金",
        ("居民身份证", "购房合同或不动产权证书"),
        ("租房可以提取住房公积金吗？",),
        ("P08",),
        800,
    ),
    Item(
        "企业设立登记",
        C,
        "market",
        "enterprise",
        4,
        "公司注册、企业开办",
        ("公司登记（备案）申请书", "公司章程", "住所使用证明"),
        ("企业名称可以自主申报吗？",),
        ("E01",),
        750,
    ),
    Item(
        "食品经营许可",
        L,
        "market",
        "enterprise",
        3,
        "开餐馆办证",
        ("营业执照", "食品经营许可申请书", "食品安全管理制度"),
        ("小餐饮需要办理食品经营许可吗？",),
        ("E02",),
        350,
    ),
    Item(
        "建筑工程施工许可证核发",
        L,
        "housing",
        "enterprise",
        3,
        "施工许可证办理",
        ("建设工程规划许可证", "施工合同", "建设资金已经落实承诺书"),
        ("施工许可证的办理时限是多少？",),
        ("E03",),
        300,
    ),
    Item(
        "医师执业注册",
        L,
        "health",
        "person",
        3,
        "医师执业证书办理",
        ("医师资格证书", "医疗机构聘用证明", "健康体检证明"),
        ("医师变更执业地点怎么办？",),
        ("P07",),
        200,
    ),
    Item(
        "教师资格认定",
        L,
        "education",
        "person",
        3,
        "教师资格证办理",
        ("普通话水平测试等级证书", "体检合格证明", "学历证书"),
        ("教师资格认定有年龄限制吗？",),
        ("P07",),
        380,
    ),
    Item(
        "最低生活保障审核确认",
        B,
        "civil",
        "person",
        2,
        "低保申请",
        ("家庭经济状况核对授权书", "居民户口簿"),
        ("申请低保的条件是什么？",),
        ("P04",),
        260,
    ),
    Item(
        "残疾人证申领",
        C,
        "disabled",
        "person",
        2,
        "办残疾证",
        ("残疾评定表", "近期免冠照片"),
        ("残疾人证多久换一次？",),
        ("P04",),
        150,
    ),
    Item(
        "普通护照签发",
        C,
        "exit",
        "person",
        3,
        "办护照、出国护照",
        ("居民身份证", "近期免冠照片"),
        ("护照丢失后怎么补办？",),
        ("P05",),
        700,
    ),
    Item(
        "往来港澳通行证签发",
        C,
        "exit",
        "person",
        3,
        "港澳通行证办理",
        ("居民身份证", "近期免冠照片"),
        ("港澳通行证可以网上续签吗？",),
        ("P05",),
        650,
    ),
    Item(
        "城乡居民基本养老保险参保登记",
        P,
        "hr",
        "person",
        4,
        "养老保险参保",
        ("居民身份证",),
        ("城乡居民养老保险每年什么时候缴费？",),
        ("P04",),
        420,
    ),
    Item(
        "失业保险金申领",
        B,
        "hr",
        "person",
        4,
        "领失业金",
        ("居民身份证", "解除劳动合同证明"),
        ("失业保险金能领多久？",),
        ("P04",),
        330,
    ),
    Item(
        "个体工商户登记",
        C,
        "market",
        "enterprise",
        4,
        "个体户注册",
        ("个体工商户登记（备案）申请书", "经营者居民身份证"),
        ("个体工商户可以网上注册吗？",),
        ("E01",),
        310,
    ),
    Item(
        "企业注销登记",
        C,
        "market",
        "enterprise",
        4,
        "公司注销",
        ("企业注销登记申请书", "清算报告"),
        ("简易注销需要多长时间？",),
        ("E01",),
        240,
    ),
    Item(
        "不动产转移登记",
        C,
        "land",
        "both",
        2,
        "房产过户",
        ("不动产权证书", "不动产买卖合同", "完税证明"),
        ("二手房过户需要哪些材料？",),
        ("P08",),
        520,
    ),
    Item(
        "养犬登记",
        P,
        "police",
        "person",
        4,
        "狗证办理",
        ("犬只免疫证明", "犬只照片"),
        ("养犬登记每年需要年检吗？",),
        (),
        120,
    ),
)

_serial = itertools.count(1)


def _uscc(region_code: str) -> str:
    body = f"11{region_code}MB{next(_serial):07d}"[:17]
    return body + uscc.calc_check_digit(body)


@dataclass
class Catalogue:
    implementations: dict[tuple[str, str], Implementation]  # (item name, place code) → implementation
    organisations: dict[tuple[str, str], Organisation]  # (department key, place code) → organisation
    themes: dict[str, Theme]


def build_catalogue(items: tuple[Item, ...] = ITEMS, *, places: tuple[str, ...] = PLACES) -> Catalogue:
    """Create regions, departments, themes and one published implementation per item and place."""
    for code, name, level, parent in REGIONS:
        Region.objects.get_or_create(code=code, defaults={"name": name, "level": level, "parent_id": parent})
    themes = {}
    for order, (code, name, audience) in enumerate(THEMES):
        themes[code], _ = Theme.objects.get_or_create(
            code=code, defaults={"name": name, "audience": audience, "order": order}
        )
    organisations: dict[tuple[str, str], Organisation] = {}
    for place in places:
        for key, (suffix, short) in DEPARTMENTS.items():
            organisations[(key, place)] = Organisation.objects.create(
                name=PLACE_PREFIX[place] + suffix, short_name=short, uscc=_uscc(place), region_id=place
            )
    implementations: dict[tuple[str, str], Implementation] = {}
    for index, item in enumerate(items):
        basic = BasicItem.objects.create(
            basic_code=f"9900{index:08d}",
            name=item.name,
            item_type=item.item_type,
            legal_basis="《示例法规》",
            competent_department=DEPARTMENTS[item.department][0],
        )
        for place in places:
            organisation = organisations[(item.department, place)]
            implementation = Implementation.objects.create(
                implementation_code=f"{organisation.uscc}3{basic.basic_code}",
                basic_item=basic,
                organisation=organisation,
                region_id=place,
                popularity=item.popularity + (5 if place == "330100" else 0),
            )
            guide = GuideVersion.objects.create(
                implementation=implementation,
                version=1,
                status=GuideStatus.PUBLISHED,
                name=item.name,
                aliases=item.aliases,
                item_type=item.item_type,
                exercise_level=codes.ExerciseLevel.MUNICIPAL,
                online_depth=item.depth,
            )
            Material.objects.bulk_create(
                [Material(guide=guide, order=n, name=name) for n, name in enumerate(item.materials)]
            )
            Faq.objects.bulk_create(
                [
                    Faq(guide=guide, order=n, question=q, answer="请咨询窗口。")
                    for n, q in enumerate(item.faqs)
                ]
            )
            guide.themes.set([themes[code] for code in item.themes])
            implementation.published_version = guide
            implementation.public_status = PublicStatus.PUBLISHED
            implementation.name = item.name
            implementation.item_type = item.item_type
            implementation.for_person = item.audience in ("person", "both")
            implementation.for_enterprise = item.audience in ("enterprise", "both")
            implementation.online_depth = item.depth
            implementation.save()
            implementations[(item.name, place)] = implementation
    return Catalogue(implementations=implementations, organisations=organisations, themes=themes)


def load_demo_catalogue() -> int:
    """The demo catalogue's published implementations, written straight with the ORM.

    Same document as `yiwang demo load` (yiwang.catalog.demo.build_document), but without the importer's
    life cycle (drafts, review, quality gates, snapshots, audit), which takes a minute for 450 guides; the
    fields search reads are set the way catalog.services publishes them. Returns the number published.
    """
    from yiwang.catalog.demo import build_document
    from yiwang.core.services import load_regions

    load_regions()
    document = build_document()
    organisations = {}
    for entry in document["organisations"]:
        organisations[entry["uscc"]] = Organisation.objects.create(
            uscc=entry["uscc"],
            name=entry["name"],
            short_name=entry.get("short_name", ""),
            region_id=entry["region_code"],
            kind=entry.get("kind") or "department",
        )
    themes = {}
    for entry in document["themes"]:
        themes[entry["code"]] = Theme.objects.create(
            code=entry["code"], name=entry["name"], audience=entry["audience"], order=entry.get("order", 0)
        )
    basics = {}
    for entry in sorted(document["basic_items"], key=lambda item: bool(item.get("parent_code"))):
        basics[entry["basic_code"]] = BasicItem.objects.create(
            basic_code=entry["basic_code"],
            name=entry["name"],
            item_type=entry["item_type"],
            parent=basics.get(entry.get("parent_code") or ""),
            legal_basis=entry.get("legal_basis") or "—",
            competent_department=entry.get("competent_department") or "—",
        )
    published = 0
    for entry in document["implementations"]:
        if entry.get("status") != "published":
            continue
        guide_doc = entry["guide"]
        implementation = Implementation.objects.create(
            implementation_code=entry["implementation_code"],
            basic_item=basics[entry["basic_code"]],
            organisation=organisations[entry["organisation_uscc"]],
            region_id=entry["region_code"],
            popularity=entry.get("popularity") or 0,
        )
        guide = GuideVersion.objects.create(
            implementation=implementation,
            version=1,
            status=GuideStatus.PUBLISHED,
            name=guide_doc["name"],
            aliases=guide_doc.get("aliases", ""),
            item_type=guide_doc["item_type"],
            exercise_level=guide_doc.get("exercise_level") or codes.ExerciseLevel.MUNICIPAL,
            online_depth=guide_doc.get("online_depth") or 1,
            service_objects=guide_doc.get("service_objects") or [],
        )
        Material.objects.bulk_create(
            [
                Material(guide=guide, order=n, name=m["name"])
                for n, m in enumerate(guide_doc.get("materials", []))
            ]
        )
        Faq.objects.bulk_create(
            [
                Faq(guide=guide, order=n, question=f["question"], answer=f.get("answer", ""))
                for n, f in enumerate(guide_doc.get("faqs", []))
            ]
        )
        guide.themes.set([themes[code] for code in guide_doc.get("themes", []) if code in themes])
        objects = set(guide.service_objects)
        implementation.published_version = guide
        implementation.public_status = PublicStatus.PUBLISHED
        implementation.name = guide.name
        implementation.item_type = guide.item_type
        implementation.for_person = codes.ServiceObject.PERSON in objects
        implementation.for_enterprise = bool(objects & codes.LEGAL_PERSON_OBJECTS)
        implementation.online_depth = guide.online_depth
        implementation.save()
        published += 1
    return published
