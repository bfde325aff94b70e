"""Synthetic catalogue for benchmarks: `yiwang generate --items N` (N up to 3.6 million, the national hub).

Fast by construction: rows go in as batched multi-row inserts (departments and basic items with
bulk_create; the big tables through `_FastInsert`, see why there), one transaction per batch, and each
guide's published snapshot is built here in Python from the values being written — never by re-reading
rows (`catalog.snapshot.build_snapshot` would cost a dozen queries per guide). `guide_snapshot` below
produces exactly the keys (and values) of `build_snapshot` from the same field lists; a test compares them.
Measured on 2 cores: ~2,500–3,000 items/s on SQLite (7 rows and a ~4 KB snapshot per item); on PostgreSQL
the big tables go in by COPY.

What it makes, all plausible and all published:
- departments (实施机构) in every region of the chosen subtree, with valid USCCs (GB 32100; the 主体标识码
  starts "YG", so generated bodies are recognisable);
- basic items (基本目录) whose 12-digit basic code starts "98" (no GB/T 2260 province uses 98), built from
  about a hundred real item names, with sub-items (首次申请, 变更, 延续 …) when more are needed;
- one implementation per (region, basic item), coded USCC + level + basic code (domain.md §1.4), each
  with a published version 1: snapshot, two materials, three steps and one FAQ, the denormalised list
  columns set, and the quality score the real checker gives that guide (checked once per item name on a
  probe guide that is rolled back).

Numbering continues after the generated items already present, and codes that exist are skipped, so
running it again adds N more.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from stdnum.cn import uscc as stdnum_uscc

from yiwang.catalog import codes, readcache
from yiwang.catalog.models import (
    BasicItem,
    Faq,
    GuideStatus,
    GuideVersion,
    Implementation,
    Material,
    PublicStatus,
    Step,
    Theme,
)
from yiwang.catalog.snapshot import CODED_FIELDS, CODED_LIST_FIELDS, PLAIN_FIELDS, SNAPSHOT_FORMAT
from yiwang.core import audit
from yiwang.core.models import Organisation, OrganisationKind, Region, RegionLevel

GENERATED_BASIC_PREFIX = "98"
GENERATED_ORG_MARK = "YG"


class GeneratorError(Exception):
    """The generator cannot run; the message says what to do."""


# --- the departments and the item names they carry ---------------------------------------------------

# key: (county/city name, province name)
DEPARTMENTS: dict[str, tuple[str, str]] = {
    "gaj": ("公安局", "公安厅"),
    "mzj": ("民政局", "民政厅"),
    "rsj": ("人力资源和社会保障局", "人力资源和社会保障厅"),
    "scj": ("市场监督管理局", "市场监督管理局"),
    "wjw": ("卫生健康局", "卫生健康委员会"),
    "jyj": ("教育局", "教育厅"),
    "zjj": ("住房和城乡建设局", "住房和城乡建设厅"),
    "jtj": ("交通运输局", "交通运输厅"),
    "zrj": ("自然资源和规划局", "自然资源厅"),
    "sthj": ("生态环境局", "生态环境厅"),
    "ybj": ("医疗保障局", "医疗保障局"),
    "gjj": ("住房公积金管理中心", "住房资金管理中心"),
    "tyj": ("退役军人事务局", "退役军人事务厅"),
    "sfj": ("司法局", "司法厅"),
    "wlj": ("文化和广电旅游体育局", "文化和旅游厅"),
    "nyj": ("农业农村局", "农业农村厅"),
    "slj": ("水利局", "水利厅"),
    "yjj": ("应急管理局", "应急管理厅"),
    "swj": ("商务局", "商务厅"),
}

DEPARTMENT_BASIS: dict[str, str] = {
    "gaj": "《中华人民共和国居民身份证法》《中华人民共和国户口登记条例》",
    "mzj": "《婚姻登记条例》《社会救助暂行办法》",
    "rsj": "《中华人民共和国社会保险法》《中华人民共和国就业促进法》",
    "scj": "《中华人民共和国市场主体登记管理条例》《中华人民共和国食品安全法》",
    "wjw": "《医疗机构管理条例》《中华人民共和国医师法》",
    "jyj": "《中华人民共和国教师法》《中华人民共和国民办教育促进法》",
    "zjj": "《中华人民共和国建筑法》《城市房地产开发经营管理条例》",
    "jtj": "《中华人民共和国道路运输条例》",
    "zrj": "《不动产登记暂行条例》《中华人民共和国城乡规划法》",
    "sthj": "《中华人民共和国环境影响评价法》《排污许可管理条例》",
    "ybj": "《中华人民共和国社会保险法》《医疗保障基金使用监督管理条例》",
    "gjj": "《住房公积金管理条例》",
    "tyj": "《退役军人保障法》《退役士兵安置条例》",
    "sfj": "《中华人民共和国法律援助法》《中华人民共和国律师法》",
    "wlj": "《营业性演出管理条例》《旅行社条例》",
    "nyj": "《农药管理条例》《兽药管理条例》",
    "slj": "《取水许可和水资源费征收管理条例》《中华人民共和国河道管理条例》",
    "yjj": "《危险化学品安全管理条例》《烟花爆竹安全管理条例》",
    "swj": "《中华人民共和国对外贸易法》《单用途商业预付卡管理办法（试行）》",
}

P, E, PE = ("1",), ("2",), ("1", "2")


@dataclass(frozen=True)
class Stem:
    """A real item name and what its guide looks like."""

    name: str
    item_type: str
    objects: tuple[str, ...]
    dept: str
    material: str  # the one item-specific material (the other is the applicant's identity)
    result: str = ""
    promised: int = 5  # working days; 0 = 即办
    depth: int = 4


STEMS: tuple[Stem, ...] = (
    Stem("居民身份证申领", "20", P, "gaj", "居民户口簿", "居民身份证", 20, 3),
    Stem("居民身份证换领", "20", P, "gaj", "原居民身份证", "居民身份证", 20, 3),
    Stem("居民身份证挂失补领", "20", P, "gaj", "挂失申报材料", "居民身份证", 20, 3),
    Stem("出生登记", "07", P, "gaj", "出生医学证明", "居民户口簿", 0, 3),
    Stem("户口迁移（省内）", "07", P, "gaj", "迁入地住房证明", "户口迁移证", 5, 3),
    Stem("临时居民身份证申领", "20", P, "gaj", "居民户口簿", "临时居民身份证", 0, 3),
    Stem("居住证申领", "20", P, "gaj", "居住证明材料", "居住证", 10),
    Stem("机动车驾驶证换证", "01", P, "gaj", "身体条件证明", "机动车驾驶证", 1),
    Stem("机动车注册登记", "07", PE, "gaj", "机动车来历证明", "机动车登记证书", 2, 3),
    Stem("往来港澳通行证签发", "01", P, "gaj", "近期证件照片", "往来港澳通行证", 7, 3),
    Stem("见义勇为人员奖励", "08", P, "gaj", "见义勇为事迹材料", "", 20, 2),
    Stem("对违反道路交通安全法律法规行为的处罚", "02", PE, "gaj", "违法行为证据材料", "", 5, 1),
    Stem(
        "内地居民婚姻登记",
        "07",
        P,
        "mzj",
        "本人无配偶以及与对方当事人没有直系血亲和三代以内旁系血亲关系的签字声明",
        "结婚证",
        0,
        2,
    ),
    Stem("最低生活保障对象认定", "05", P, "mzj", "家庭经济状况核对授权书", "", 15, 3),
    Stem("临时救助对象认定", "05", P, "mzj", "困难情况说明", "", 10),
    Stem("特困人员认定", "05", P, "mzj", "特困人员认定申请书", "", 15, 3),
    Stem("社会团体成立登记", "01", ("4",), "mzj", "社会团体章程草案", "社会团体法人登记证书", 20, 3),
    Stem(
        "民办非企业单位成立登记",
        "01",
        ("4",),
        "mzj",
        "民办非企业单位章程草案",
        "民办非企业单位登记证书",
        20,
        3,
    ),
    Stem("养老机构备案", "10", E, "mzj", "养老机构备案书", "", 5),
    Stem("高龄津贴发放", "05", P, "mzj", "老年人银行账户信息", "", 10),
    Stem("失业保险金申领", "05", P, "rsj", "失业登记证明", "", 5),
    Stem("就业创业证申领", "20", P, "rsj", "近期证件照片", "就业创业证", 0),
    Stem("职工参保登记", "20", E, "rsj", "职工名册", "", 0),
    Stem("社会保障卡申领", "20", P, "rsj", "近期证件照片", "社会保障卡", 10, 3),
    Stem("基本养老保险待遇申领", "05", P, "rsj", "退休审批材料", "", 10),
    Stem("工伤认定", "07", PE, "rsj", "工伤认定申请表", "认定工伤决定书", 20, 3),
    Stem("劳务派遣经营许可", "01", E, "rsj", "劳务派遣管理制度", "劳务派遣经营许可证", 15),
    Stem("技能人才评价证书查询", "20", P, "rsj", "证书查询申请表", "", 0),
    Stem("企业设立登记", "01", E, "scj", "公司章程", "营业执照", 1),
    Stem("企业变更登记", "01", E, "scj", "变更登记申请书", "营业执照", 1),
    Stem("企业注销登记", "01", E, "scj", "清算报告", "准予注销登记通知书", 1),
    Stem("个体工商户设立登记", "01", P, "scj", "经营场所证明", "营业执照", 0),
    Stem("食品经营许可", "01", E, "scj", "食品安全管理制度", "食品经营许可证", 10),
    Stem("食品生产许可", "01", E, "scj", "食品生产设备布局图和工艺流程图", "食品生产许可证", 10, 3),
    Stem("药品零售企业经营许可", "01", E, "scj", "药学技术人员资格证明", "药品经营许可证", 15, 3),
    Stem("特种设备使用登记", "07", E, "scj", "特种设备产品合格证", "特种设备使用登记证", 5),
    Stem("第二类医疗器械经营备案", "10", E, "scj", "经营场所和库房地址证明", "", 0),
    Stem("对未取得食品经营许可从事食品经营活动的行政处罚", "02", E, "scj", "现场检查笔录", "", 20, 1),
    Stem("查封、扣押不符合食品安全标准的食品", "03", E, "scj", "查封扣押决定书", "", 5, 1),
    Stem("医疗机构执业登记", "01", ("3", "2"), "wjw", "医疗机构建筑设计平面图", "医疗机构执业许可证", 20, 3),
    Stem("医师执业注册", "01", P, "wjw", "医师资格证书", "医师执业证书", 10),
    Stem("护士执业注册", "01", P, "wjw", "护士执业资格考试成绩合格证明", "护士执业证书", 10),
    Stem("公共场所卫生许可", "01", E, "wjw", "卫生管理制度", "公共场所卫生许可证", 10),
    Stem("出生医学证明首次签发", "20", P, "wjw", "新生儿父母身份证明", "出生医学证明", 0, 3),
    Stem("生育登记", "20", P, "wjw", "夫妻双方居民户口簿", "", 0),
    Stem("教师资格认定", "07", P, "jyj", "普通话水平测试等级证书", "教师资格证书", 20, 3),
    Stem("民办学校办学许可", "01", ("4",), "jyj", "学校章程", "民办学校办学许可证", 20, 3),
    Stem("义务教育阶段新生入学登记", "20", P, "jyj", "居住证明", "", 10),
    Stem("校外培训机构设立审批", "01", E, "jyj", "培训场所证明", "民办学校办学许可证", 20, 3),
    Stem("建筑工程施工许可证核发", "01", E, "zjj", "建设工程规划许可证", "建筑工程施工许可证", 5),
    Stem("商品房预售许可", "01", E, "zjj", "工程施工进度证明", "商品房预售许可证", 10),
    Stem("建筑业企业资质核准", "01", E, "zjj", "企业技术负责人资格证明", "建筑业企业资质证书", 20),
    Stem("公共租赁住房资格审核", "07", P, "zjj", "家庭住房情况声明", "", 20, 3),
    Stem(
        "城镇污水排入排水管网许可",
        "01",
        E,
        "zjj",
        "排水户内部排水管网平面图",
        "城镇污水排入排水管网许可证",
        15,
    ),
    Stem("城市基础设施配套费征收", "04", E, "zjj", "建设工程规划许可证", "", 5, 2),
    Stem("对建筑施工企业安全生产条件的行政检查", "06", E, "zjj", "安全生产管理制度", "", 10, 1),
    Stem("道路旅客运输经营许可", "01", E, "jtj", "客运车辆技术等级评定证明", "道路运输经营许可证", 20),
    Stem("出租汽车驾驶员从业资格注册", "01", P, "jtj", "出租汽车驾驶员从业资格证", "", 5),
    Stem(
        "道路货物运输驾驶员从业资格证核发", "01", P, "jtj", "机动车驾驶证", "道路运输从业人员从业资格证", 10
    ),
    Stem("超限运输车辆行驶公路许可", "01", E, "jtj", "车辆行驶证", "超限运输车辆通行证", 5),
    Stem("不动产首次登记", "07", PE, "zrj", "不动产权属来源证明", "不动产权证书", 5, 3),
    Stem("不动产转移登记", "07", PE, "zrj", "不动产买卖合同", "不动产权证书", 3, 3),
    Stem("不动产抵押登记", "07", PE, "zrj", "主债权合同和抵押合同", "不动产登记证明", 2),
    Stem("建设用地规划许可证核发", "01", E, "zrj", "建设项目用地预审与选址意见书", "建设用地规划许可证", 10),
    Stem("建设工程规划许可证核发", "01", E, "zrj", "建设工程设计方案", "建设工程规划许可证", 10),
    Stem("林木林地权属争议行政裁决", "09", PE, "zrj", "权属争议证据材料", "行政裁决书", 20, 2),
    Stem(
        "建设项目环境影响报告表审批",
        "01",
        E,
        "sthj",
        "建设项目环境影响报告表",
        "建设项目环境影响报告表批复",
        15,
    ),
    Stem("排污许可证核发", "01", E, "sthj", "排污许可证申请表", "排污许可证", 20),
    Stem("城乡居民基本医疗保险参保登记", "20", P, "ybj", "居民户口簿", "", 0),
    Stem("异地就医备案", "20", P, "ybj", "异地就医备案表", "", 0),
    Stem("医疗费用手工（零星）报销", "05", P, "ybj", "医疗费用发票", "", 20),
    Stem("生育医疗费用待遇核定", "05", P, "ybj", "出生医学证明", "", 10),
    Stem("住房公积金单位缴存登记", "20", E, "gjj", "单位缴存登记表", "", 0),
    Stem("住房公积金提取", "20", P, "gjj", "购房合同", "", 1),
    Stem("住房公积金个人住房贷款", "20", P, "gjj", "购房合同", "", 10),
    Stem("退役士兵自主就业一次性经济补助金发放", "05", P, "tyj", "退出现役证", "", 20, 3),
    Stem("退役军人优待证申领", "20", P, "tyj", "退出现役证", "退役军人优待证", 20, 3),
    Stem("法律援助申请", "20", P, "sfj", "经济困难状况说明表", "给予法律援助决定书", 7),
    Stem("律师执业证核发", "01", P, "sfj", "律师事务所出具的实习鉴定材料", "律师执业证", 20, 3),
    Stem("公证员执业审批", "01", P, "sfj", "公证员执业申请表", "公证员执业证", 20, 3),
    Stem("营业性演出许可", "01", E, "wlj", "演出节目内容材料", "营业性演出许可证", 5),
    Stem("娱乐场所从事娱乐场所经营活动审批", "01", E, "wlj", "经营场所平面示意图", "娱乐经营许可证", 20, 3),
    Stem("旅行社设立许可", "01", E, "wlj", "经营场所证明", "旅行社业务经营许可证", 20),
    Stem("农药经营许可", "01", E, "nyj", "农药经营场所和仓储场所证明", "农药经营许可证", 20),
    Stem("兽药经营许可证核发", "01", E, "nyj", "兽药经营质量管理制度", "兽药经营许可证", 20),
    Stem("拖拉机和联合收割机驾驶证核发", "01", P, "nyj", "身体条件证明", "拖拉机和联合收割机驾驶证", 5, 3),
    Stem("农作物种子生产经营许可证核发", "01", E, "nyj", "种子检验设施证明", "农作物种子生产经营许可证", 20),
    Stem("取水许可", "01", E, "slj", "建设项目水资源论证报告书", "取水许可证", 20),
    Stem(
        "河道管理范围内建设项目工程建设方案审批",
        "01",
        E,
        "slj",
        "防洪评价报告",
        "河道管理范围内建设项目审查批复",
        20,
    ),
    Stem(
        "危险化学品经营许可证核发",
        "01",
        E,
        "yjj",
        "安全生产管理制度和岗位操作规程",
        "危险化学品经营许可证",
        20,
    ),
    Stem(
        "烟花爆竹经营（零售）许可证核发", "01", E, "yjj", "零售经营场所证明", "烟花爆竹经营（零售）许可证", 10
    ),
    Stem("对外贸易经营者备案登记", "10", E, "swj", "对外贸易经营者备案登记表", "", 0),
    Stem("单用途商业预付卡发卡企业备案", "10", E, "swj", "单用途卡业务管理制度", "", 5),
)

SUB_ITEMS = (
    "",
    "（首次申请）",
    "（变更）",
    "（延续）",
    "（注销）",
    "（补办）",
    "（跨省通办）",
    "（告知承诺）",
)

# Area codes of the provincial capitals, and of every prefecture of the demo province (浙江).
AREA_CODES: dict[str, str] = {
    "11": "010", "12": "022", "13": "0311", "14": "0351", "15": "0471", "21": "024", "22": "0431",
    "23": "0451", "31": "021", "32": "025", "33": "0571", "34": "0551", "35": "0591", "36": "0791",
    "37": "0531", "41": "0371", "42": "027", "43": "0731", "44": "020", "45": "0771", "46": "0898",
    "50": "023", "51": "028", "52": "0851", "53": "0871", "54": "0891", "61": "029", "62": "0931",
    "63": "0971", "64": "0951", "65": "0991", "3301": "0571", "3302": "0574", "3303": "0577",
    "3304": "0573", "3305": "0572", "3306": "0575", "3307": "0579", "3308": "0570", "3309": "0580",
    "3310": "0576", "3311": "0578",
}  # fmt: skip

# GB/T 2260 placeholders that are not a place a department is named after.
PLACEHOLDER_REGION_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

LEVEL_OF_REGION = {
    RegionLevel.PROVINCE: codes.ExerciseLevel.PROVINCIAL,
    RegionLevel.PREFECTURE: codes.ExerciseLevel.MUNICIPAL,
    RegionLevel.COUNTY: codes.ExerciseLevel.COUNTY,
}


# --- identifiers ---------------------------------------------------------------------------------------

_ORG_CODE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_code(body8: str) -> str:
    """9-character 组织机构代码 (GB 11714): 8 characters and their check character."""
    total = sum(_ORG_CODE_CHARS.index(c) * w for c, w in zip(body8, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body8 + ("0" if check == 11 else "X" if check == 10 else str(check))


def department_uscc(region_code: str, dept_index: int) -> str:
    """A valid USCC (GB 32100) for a generated department: 11 (机关) + region + YG… + check digit."""
    first17 = "11" + region_code + _org_code(f"{GENERATED_ORG_MARK}{dept_index:02d}0000")
    return first17 + stdnum_uscc.calc_check_digit(first17)


def basic_code(stem_index: int, sub_index: int) -> str:
    return f"{GENERATED_BASIC_PREFIX}{stem_index:04d}{sub_index:06d}"


def basic_name(stem: Stem, sub_index: int) -> str:
    if sub_index < len(SUB_ITEMS):
        return stem.name + SUB_ITEMS[sub_index]
    return f"{stem.name}（子项{sub_index:03d}）"


def area_code(region_code: str) -> str:
    return AREA_CODES.get(region_code[:4]) or AREA_CODES.get(region_code[:2]) or "0571"


# --- the guide of one generated item -------------------------------------------------------------------

_LABELS: dict[tuple[type[Any], Any], str] = {}


def _label(choices: type[Any], value: Any) -> str:
    key = (choices, value)
    label = _LABELS.get(key)
    if label is None:
        try:
            label = str(choices(value).label)
        except ValueError:
            label = ""
        _LABELS[key] = label
    return label


def _result_type(result: str) -> str:
    if not result:
        return codes.ResultType.NONE
    if result.endswith(("批复", "批文")):
        return codes.ResultType.APPROVAL
    if result.endswith(("证书", "证", "执照", "许可证")) and not result.endswith(("凭证", "证明")):
        return codes.ResultType.LICENCE
    if result.endswith(("决定书", "通知书", "裁决书", "文")):
        return codes.ResultType.DOCUMENT
    return codes.ResultType.OTHER


@dataclass(frozen=True)
class Place:
    """Where one generated department sits, and how to reach it."""

    region_code: str
    region_name: str
    level: str  # codes.ExerciseLevel
    organisation_id: int
    organisation_name: str
    organisation_short: str
    organisation_uscc: str
    area: str


def guide_fields(stem: Stem, place: Place, *, name: str, seq: int) -> dict[str, Any]:
    """Every GuideVersion field value (no relations) of a complete, consistent guide."""
    fields = dict(_place_fields(stem, place))
    fields["name"] = name
    fields["exercise_content"] = f"依法办理{name}。"
    if fields["is_online"]:
        fields["online_url"] = f"https://www.zjzwfw.gov.cn/apply/{place.organisation_uscc}/{seq}"
    fields["consultation_phone"] = f"{place.area}-8{seq % 10_000_000:07d}"
    return fields


@lru_cache(maxsize=65536)
def _place_fields(stem: Stem, place: Place) -> dict[str, Any]:
    """The part of a guide that depends only on the item name and the department (computed once)."""
    immediate = stem.promised == 0
    online = stem.depth >= codes.OnlineDepth.ONLINE_ACCEPTANCE
    forms = [codes.HandlingForm.WINDOW.value]
    if online:
        forms += [codes.HandlingForm.PC_ONLINE.value, codes.HandlingForm.MOBILE_ONLINE.value]
    else:
        forms.append(codes.HandlingForm.POST.value)
    visits = 0 if stem.depth == codes.OnlineDepth.FULLY_ONLINE else 1
    result_type = _result_type(stem.result)
    licensing = stem.item_type == codes.ItemType.LICENSING
    return {
        "name": stem.name,
        "aliases": "",
        "item_type": stem.item_type,
        "legal_basis": DEPARTMENT_BASIS[stem.dept],
        "exercise_level": place.level,
        "authority_division": f"{place.region_name}行政区域内的{stem.name}由{place.organisation_name}负责。",
        "exercise_content": "",
        "subject_nature": codes.SubjectNature.STATUTORY.value,
        "power_source": codes.PowerSource.STATUTORY.value,
        "entrusting_department": "",
        "undertaking_organisation": place.organisation_name,
        "legal_limit": 20 if licensing or stem.promised > 0 else None,
        "legal_limit_unit": codes.TimeUnit.WORKING_DAY.value,
        "legal_limit_note": "",
        "promised_limit": stem.promised,
        "promised_limit_unit": (codes.TimeUnit.IMMEDIATE if immediate else codes.TimeUnit.WORKING_DAY).value,
        "promised_limit_note": "当场办结" if immediate else "",
        "case_type": (codes.CaseType.IMMEDIATE if immediate else codes.CaseType.PROMISED).value,
        "acceptance_conditions": f"申请人符合{stem.name}的法定条件，申请材料齐全、符合法定形式。",
        "intermediary_services": "无",
        "quantity_limit": "无数量限制",
        "result_name": stem.result,
        "result_type": result_type,
        "result_sample": f"catalog/results/samples/{basic_code(STEMS.index(stem), 0)}.pdf"  # once per stem (cached)
        if stem.result
        else "",
        "charges_fee": False,
        "fee_basis": "",
        "service_objects": list(stem.objects),
        "handling_scope": codes.HandlingScope.CROSS_COUNTY.value
        if online
        else codes.HandlingScope.NONE.value,
        "jurisdiction": place.region_name,
        "handling_forms": forms,
        "online_depth": stem.depth,
        "is_online": online,
        "online_url": "",
        "system_level": codes.SystemLevel.PROVINCIAL.value,
        "sso_pc": True,
        "sso_mobile": True,
        "visits": visits,
        "onsite_reason": "" if visits == 0 else "需现场核验申请人身份及材料原件。",
        "in_hall": True,
        "supports_appointment": True,
        "supports_online_payment": False,
        "supports_delivery": True,
        "delivery_methods": [codes.DeliveryMethod.WINDOW.value, codes.DeliveryMethod.POST.value],
        "place": f"{place.region_name}政务服务中心2楼{place.organisation_short}窗口",
        "hours": "工作日（周一至周五）上午9:00–12:00，下午13:30–17:00，法定节假日除外",
        "consultation_method": "电话咨询、窗口咨询或在网上办事大厅留言",
        "consultation_phone": "",
        "supervision_phone": "12345",
        "planned_effective_date": None,
        "planned_cancel_date": None,
        "change_note": "基准测试生成数据",
    }


@lru_cache(maxsize=256)  # per item name; callers copy rows, never change them
def material_rows(stem: Stem) -> list[dict[str, Any]]:
    identity = (
        {
            "name": "申请人身份证件",
            "issuing_body": "公安机关",
            "source_channel": codes.MaterialSourceChannel.GOVERNMENT.value,
            "obtainable_by": codes.MaterialObtainable.LICENCE.value,
            "obtainable_source": "居民身份证电子证照",
        }
        if codes.ServiceObject.PERSON in stem.objects
        else {
            "name": "营业执照或法人登记证书",
            "issuing_body": "登记机关",
            "source_channel": codes.MaterialSourceChannel.GOVERNMENT.value,
            "obtainable_by": codes.MaterialObtainable.LICENCE.value,
            "obtainable_source": "营业执照电子证照",
        }
    )
    specific = {
        "name": stem.material,
        "issuing_body": "申请人",
        "source_channel": codes.MaterialSourceChannel.APPLICANT.value,
        "obtainable_by": codes.MaterialObtainable.NO.value,
        "obtainable_source": "",
    }
    rows = []
    for order, row in enumerate((identity, specific), start=1):
        rows.append(
            {
                "order": order,
                "issue_time_requirement": "",
                "original_count": 1,
                "copy_count": 0,
                "form": codes.MaterialForm.BOTH.value,
                "necessity": codes.MaterialNecessity.REQUIRED.value,
                "notes": "",
                "usage_notes": "",
                **row,
            }
        )
    return rows


@lru_cache(maxsize=256)  # per item name; callers copy rows, never change them
def step_rows(stem: Stem) -> list[dict[str, Any]]:
    review = max(stem.promised - 2, 0)
    decide = 1 if stem.promised >= 2 else 0
    accept = 1 if stem.promised >= 3 else 0
    return [
        {"order": 1, "name": "受理", "role": "窗口受理人员", "time_limit": accept,
         "standard": "材料齐全、符合法定形式", "result": "受理或一次性告知补正"},
        {"order": 2, "name": "审查", "role": "审查人员", "time_limit": review,
         "standard": "符合法定条件和标准", "result": "提出审查意见"},
        {"order": 3, "name": "决定", "role": "科室负责人", "time_limit": decide,
         "standard": "审查意见明确", "result": stem.result or "办结"},
    ]  # fmt: skip


@lru_cache(maxsize=256)  # per item name; callers copy rows, never change them
def faq_rows(stem: Stem) -> list[dict[str, Any]]:
    answer = (
        "不需要，全程网上办理，结果可邮寄送达。"
        if stem.depth == codes.OnlineDepth.FULLY_ONLINE
        else "需到现场一次，核验身份和材料原件；可先在网上预约。"
    )
    return [{"order": 1, "question": f"办理{stem.name}需要到现场吗？", "answer": answer}]


def guide_snapshot(
    fields: dict[str, Any],
    *,
    implementation_code: str,
    basic: tuple[str, str, str],  # basic_code, name, competent department
    place: Place,
    version: int,
    published_at: dt.datetime,
    materials: list[dict[str, Any]],
    steps: list[dict[str, Any]],
    faqs: list[dict[str, Any]],
    themes: list[dict[str, str]],
    quality_score: int,
) -> dict[str, Any]:
    """The document `catalog.snapshot.build_snapshot` would produce for this guide, without queries."""
    doc: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "implementation_code": implementation_code,
        "basic_code": basic[0],
        "basic_item_name": basic[1],
        "parent_basic_code": None,
        "competent_department": basic[2],
        "version": version,
        "published_at": published_at.isoformat(),
        "organisation": {
            "id": place.organisation_id,
            "name": place.organisation_name,
            "short_name": place.organisation_short,
            "uscc": place.organisation_uscc,
        },
        "region": {"code": place.region_code, "name": place.region_name},
        "planned_effective_date": None,
        "planned_cancel_date": None,
        "result_sample": (
            {"name": fields["result_sample"].rsplit("/", 1)[-1], "path": fields["result_sample"]}
            if fields["result_sample"]
            else None
        ),
    }
    for name in PLAIN_FIELDS:
        doc[name] = fields[name]
    for name, choices in CODED_FIELDS.items():
        doc[name] = fields[name]
        doc[f"{name}_label"] = _label(choices, fields[name])
    for name, choices in CODED_LIST_FIELDS.items():
        values = list(fields[name])
        doc[name] = values
        doc[f"{name}_labels"] = [_label(choices, v) for v in values]
    doc["themes"] = themes
    doc["joint_organisations"] = []
    doc["variants"] = []
    doc["situations"] = []
    doc["materials"] = [
        {
            "name": m["name"],
            "situation": None,
            "issuing_body": m["issuing_body"],
            "issue_time_requirement": m["issue_time_requirement"],
            "source_channel": m["source_channel"],
            "source_channel_label": _label(codes.MaterialSourceChannel, m["source_channel"]),
            "original_count": m["original_count"],
            "copy_count": m["copy_count"],
            "form": m["form"],
            "form_label": _label(codes.MaterialForm, m["form"]),
            "necessity": m["necessity"],
            "necessity_label": _label(codes.MaterialNecessity, m["necessity"]),
            "notes": m["notes"],
            "usage_notes": m["usage_notes"],
            "blank_form": None,
            "sample": None,
            "obtainable_by": m["obtainable_by"],
            "obtainable_by_label": _label(codes.MaterialObtainable, m["obtainable_by"]),
            "obtainable_source": m["obtainable_source"],
        }
        for m in materials
    ]
    doc["steps"] = [{k: s[k] for k in ("name", "role", "time_limit", "standard", "result")} for s in steps]
    doc["fees"] = []
    doc["special_procedures"] = []
    doc["faqs"] = [{"question": q["question"], "answer": q["answer"]} for q in faqs]
    doc["quality_score"] = quality_score
    return doc


# --- the run -------------------------------------------------------------------------------------------


@dataclass
class GenerateResult:
    created: int
    skipped: int
    seconds: float
    first_code: str = ""
    last_code: str = ""
    organisations: int = 0
    basic_items: int = 0
    scores: dict[str, int] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.created / self.seconds if self.seconds else 0.0


def _ensure_regions(region_code: str) -> Region:
    if not Region.objects.exists():
        try:
            call_command("regions", "load", verbosity=0)
        except Exception as exc:  # the command is missing or failed: say what to do
            raise GeneratorError(
                f"数据库中没有行政区划，自动导入失败（{exc}）。请先运行 `yiwang regions load`。"
            ) from exc
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise GeneratorError(
            f"行政区划代码 {region_code} 不存在；请用 --region 指定已导入的区划（如 330000）。"
        )
    return region


def _regions_of(root: Region) -> list[Region]:
    prefix = root.subtree_prefix
    regions = [
        r
        for r in Region.objects.filter(
            code__gte=prefix.ljust(6, "0"), code__lte=prefix.ljust(6, "9")
        ).order_by("code")
        if r.name not in PLACEHOLDER_REGION_NAMES
    ]
    return regions or [root]


def _ensure_departments(regions: list[Region]) -> dict[tuple[str, str], Place]:
    """One department per (region, department key), created once and found again on later runs."""
    dept_keys = list(DEPARTMENTS)
    wanted: dict[str, tuple[Region, str, str]] = {}
    for region in regions:
        for index, key in enumerate(dept_keys, start=1):
            local, provincial = DEPARTMENTS[key]
            dept_name = provincial if region.level == RegionLevel.PROVINCE else local
            wanted[department_uscc(region.code, index)] = (region, key, dept_name)
    existing = set(Organisation.objects.filter(uscc__in=list(wanted)).values_list("uscc", flat=True))
    Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"{region.name}{dept_name}",
                short_name=dept_name,
                uscc=uscc,
                region=region,
                kind=OrganisationKind.DEPARTMENT,
                address=f"{region.name}政务服务中心",
                phone=f"{area_code(region.code)}-87{index:06d}",
            )
            for index, (uscc, (region, _key, dept_name)) in enumerate(wanted.items())
            if uscc not in existing
        ],
        batch_size=1000,
    )
    places: dict[tuple[str, str], Place] = {}
    for org_id, name, short, uscc in Organisation.objects.filter(uscc__in=list(wanted)).values_list(
        "id", "name", "short_name", "uscc"
    ):
        region, key, _dept = wanted[uscc]
        places[(region.code, key)] = Place(
            region_code=region.code,
            region_name=region.name,
            level=LEVEL_OF_REGION.get(RegionLevel(region.level), codes.ExerciseLevel.COUNTY).value,
            organisation_id=org_id,
            organisation_name=name,
            organisation_short=short,
            organisation_uscc=uscc,
            area=area_code(region.code),
        )
    return places


def _competent(stem: Stem) -> str:
    return DEPARTMENTS[stem.dept][1].replace("厅", "部") if stem.dept != "scj" else "国家市场监督管理总局"


def _ensure_basic_items(count: int) -> dict[int, tuple[int, str, str, str]]:
    """Basic items 0..count-1 (index → id, basic code, name, competent department)."""
    wanted = {}
    for index in range(count):
        stem_index, sub_index = index % len(STEMS), index // len(STEMS)
        stem = STEMS[stem_index]
        wanted[basic_code(stem_index, sub_index)] = (index, basic_name(stem, sub_index), stem)
    existing = set(BasicItem.objects.filter(basic_code__in=list(wanted)).values_list("basic_code", flat=True))
    BasicItem.objects.bulk_create(
        [
            BasicItem(
                basic_code=code,
                name=name,
                item_type=stem.item_type,
                legal_basis=DEPARTMENT_BASIS[stem.dept],
                competent_department=_competent(stem),
                is_national=False,
            )
            for code, (_index, name, stem) in wanted.items()
            if code not in existing
        ],
        batch_size=2000,
    )
    result = {}
    for item_id, code, name, department in BasicItem.objects.filter(basic_code__in=list(wanted)).values_list(
        "id", "basic_code", "name", "competent_department"
    ):
        result[wanted[code][0]] = (item_id, code, name, department)
    return result


def _themes_by_audience() -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for theme_id, code, name, audience in Theme.objects.order_by("code").values_list(
        "id", "code", "name", "audience"
    ):
        found.setdefault(audience, []).append(
            {"id": theme_id, "code": code, "name": name, "audience": audience}
        )
    return found


def _theme_for(stem_index: int, stem: Stem, themes: dict[str, list[dict[str, Any]]]) -> dict[str, Any] | None:
    audience = (
        codes.Audience.PERSON if codes.ServiceObject.PERSON in stem.objects else codes.Audience.ENTERPRISE
    )
    candidates = themes.get(audience) or []
    return candidates[stem_index % len(candidates)] if candidates else None


class _ProbeRollback(Exception):
    pass


def _probe_scores(
    places: dict[tuple[str, str], Place], themes: dict[str, list[dict[str, Any]]]
) -> dict[int, tuple[int, list[dict[str, str]], int]]:
    """Run the real quality checker once per item name on a probe guide, then roll the probe back."""
    from yiwang.catalog.quality import check_guide

    scores: dict[int, tuple[int, list[dict[str, str]], int]] = {}
    try:
        with transaction.atomic():
            basic = BasicItem.objects.create(
                basic_code="98PROBE", name="probe", item_type="01", legal_basis="-", competent_department="-"
            )
            for stem_index, stem in enumerate(STEMS):
                place = next((p for (r, k), p in places.items() if k == stem.dept), None)
                if place is None:
                    continue
                implementation = Implementation.objects.create(
                    implementation_code=f"PROBE{stem_index:04d}",
                    basic_item=basic,
                    organisation_id=place.organisation_id,
                    region_id=place.region_code,
                )
                fields = guide_fields(stem, place, name=stem.name, seq=stem_index)
                guide = GuideVersion.objects.create(implementation=implementation, version=1, **fields)
                Material.objects.bulk_create(Material(guide=guide, **m) for m in material_rows(stem))
                Step.objects.bulk_create(Step(guide=guide, **s) for s in step_rows(stem))
                Faq.objects.bulk_create(Faq(guide=guide, **q) for q in faq_rows(stem))
                theme = _theme_for(stem_index, stem, themes)
                if theme:
                    guide.themes.add(theme["id"])
                report = check_guide(guide)
                scores[stem_index] = (report.score, report.as_json(), len(report.blocking))
            raise _ProbeRollback
    except _ProbeRollback:
        pass
    return scores


def _generated_count() -> int:
    return Implementation.objects.filter(basic_item__basic_code__startswith=GENERATED_BASIC_PREFIX).count()


@dataclass
class _Batch:
    implementations: list[Implementation] = field(default_factory=list)
    guides: list[dict[str, Any]] = field(default_factory=list)  # per implementation: what its guide needs


def _candidates(
    start: int, regions: list[Region], basics_needed: Callable[[int], None]
) -> Iterator[tuple[int, Region, int, int]]:
    """Sequence number n → (n, region, stem index, sub-item index), one-to-one.

    Within each block of len(regions) × len(STEMS) numbers, regions vary fastest and the item name is
    shifted by the region, so even a few hundred items cover every region and every item name.
    """
    regions_n, stems_n = len(regions), len(STEMS)
    n = start
    while True:
        sub_index, m = divmod(n, regions_n * stems_n)
        k, r = divmod(m, regions_n)
        stem_index = (k + r) % stems_n
        basics_needed(sub_index * stems_n + stem_index)
        yield n, regions[r], stem_index, sub_index
        n += 1


def generate(
    items: int,
    *,
    region_code: str = "330000",
    batch: int = 5000,
    seed: int = 1,
    progress: bool = True,
    actor: Any = None,
) -> GenerateResult:
    """Create `items` published implementations under `region_code` (see the module docstring)."""
    if items < 0:
        raise GeneratorError("--items 必须是非负整数。")
    batch = max(1, batch)
    started = time.perf_counter()
    root = _ensure_regions(region_code)
    regions = _regions_of(root)
    places = _ensure_departments(regions)
    themes = _themes_by_audience()
    scores = _probe_scores(places, themes)
    start = _generated_count()
    basics_total = ((start + items) // (len(regions) * len(STEMS)) + 1) * len(STEMS)
    basics = _ensure_basic_items(basics_total)
    now = timezone.now().replace(microsecond=0)
    result = GenerateResult(
        created=0, skipped=0, seconds=0.0, organisations=len(places), basic_items=len(basics)
    )
    result.scores = {STEMS[i].name: s[0] for i, s in scores.items()}

    def need_basic(index: int) -> None:
        if index not in basics:
            basics.update(_ensure_basic_items(max(index + 1, len(basics) * 2)))

    from tqdm import tqdm

    bar = tqdm(total=items, unit="项", desc="生成事项", disable=not progress, mininterval=0.5)
    candidates = _candidates(start, regions, need_basic)
    try:
        while result.created < items:
            size = min(batch, items - result.created)
            pending: list[tuple[str, int, Region, int, int]] = []
            while len(pending) < size:
                n, region, stem_index, sub_index = next(candidates)
                stem = STEMS[stem_index]
                place = places[(region.code, stem.dept)]
                code = place.organisation_uscc + place.level + basic_code(stem_index, sub_index)
                pending.append((code, n, region, stem_index, sub_index))
            existing = set(
                Implementation.objects.filter(implementation_code__in=[p[0] for p in pending]).values_list(
                    "implementation_code", flat=True
                )
            )
            fresh = [p for p in pending if p[0] not in existing]
            result.skipped += len(pending) - len(fresh)
            if fresh:
                _write_batch(fresh, places, basics, scores, themes, now=now, seed=seed)
                result.created += len(fresh)
                result.first_code = result.first_code or fresh[0][0]
                result.last_code = fresh[-1][0]
                bar.update(len(fresh))
    finally:
        bar.close()
    _finish(result, region_code=region_code, seed=seed, actor=actor)
    result.seconds = time.perf_counter() - started
    return result


class _FastInsert:
    """Multi-row INSERTs through `executemany`, with values prepared as Django would store them.

    Why not `bulk_create` for the big tables: profiling showed ~60% of the generator's time in
    bulk_create's per-value preparation and SQL compilation (a guide has ~80 columns, and SQLite batches
    only 12 guides per statement). Column names and defaults still come from the models' _meta, so the
    rows are exactly what the ORM writes; ids are reserved up front so rows can point at each other.
    """

    def __init__(self, model: type[Any], now: dt.datetime, *, with_ids: bool) -> None:
        self.model = model
        # Without ids the database numbers the rows (an explicit NULL would not take the default).
        self.fields = [f for f in model._meta.concrete_fields if with_ids or not f.primary_key]
        ops = connection.ops
        qn = ops.quote_name
        columns = ", ".join(qn(f.column) for f in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        # Identifiers come from the model's _meta (quoted); every value is a bound parameter.
        self.sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        self.copy_sql = f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN"
        self.plan: list[tuple[str, Any, Callable[[Any], Any] | None]] = []
        for f in self.fields:
            kind = f.get_internal_type()
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                default: Any = now
            elif f.primary_key:
                default = None
            else:
                default = f.get_default()
            adapt: Callable[[Any], Any] | None = None
            if kind == "DateTimeField":
                adapt = _sqlite_utc_text if connection.vendor == "sqlite" else ops.adapt_datetimefield_value
            elif kind == "DateField":
                adapt = ops.adapt_datefield_value
            elif kind == "JSONField":
                adapt = _json_text
            self.plan.append((f.attname, default, adapt))

        self.position = {attname: index for index, (attname, _default, _adapt) in enumerate(self.plan)}

    def record(self, row: dict[str, Any]) -> list[Any]:
        """One row's values in column order, adapted for the database."""
        values = []
        for attname, default, adapt in self.plan:
            value = row.get(attname, default)
            if adapt is not None and value is not None:
                value = adapt(value)
            values.append(value)
        return values

    def patched(self, template: list[Any], changes: dict[str, Any]) -> list[Any]:
        """A copy of a prepared record with a few columns changed (most of a guide repeats per item name)."""
        values = list(template)
        for attname, value in changes.items():
            index = self.position[attname]
            adapt = self.plan[index][2]
            values[index] = adapt(value) if adapt is not None and value is not None else value
        return values

    def insert(self, rows: list[dict[str, Any]]) -> None:
        self.insert_records([self.record(row) for row in rows])

    def insert_records(self, records: list[list[Any]]) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY streams the batch in one command: ~3x faster than executemany's row-per-statement
                # INSERTs, whose per-row parse/plan/execute on the server shares the same 2 cores.
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for record in records:
                        copy.write_row(record)
                return
            cursor.executemany(self.sql, records)


def _sqlite_utc_text(value: dt.datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime (naive UTC text), without its overhead."""
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


def _json_text(value: Any) -> str:
    # UTF-8 rather than \u escapes: half the size for Chinese text, and the same JSON when read back.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _reserve_ids(model: type[Any], count: int) -> list[int]:
    """Ids for `count` new rows of `model`, safe against concurrent writers."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor == "sqlite":
            # The batch runs in a BEGIN IMMEDIATE transaction: the write lock is ours, no one can interleave.
            start = int(model.objects.aggregate(last=Max("id"))["last"] or 0) + 1
            return list(range(start, start + count))
    raise GeneratorError(f"生成器只支持 SQLite 和 PostgreSQL，当前数据库为 {connection.vendor}。")


def _write_batch(
    fresh: list[tuple[str, int, Region, int, int]],
    places: dict[tuple[str, str], Place],
    basics: dict[int, tuple[int, str, str, str]],
    scores: dict[int, tuple[int, list[dict[str, str]], int]],
    themes: dict[str, list[dict[str, Any]]],
    *,
    now: dt.datetime,
    seed: int,
) -> None:
    writers = {
        model: _FastInsert(model, now, with_ids=model in (Implementation, GuideVersion))
        for model in (Implementation, GuideVersion, Material, Step, Faq)
    }
    guide_writer = writers[GuideVersion]
    templates: dict[tuple[int, Place], list[Any]] = {}
    through = GuideVersion.themes.through
    with transaction.atomic():
        readcache.catalogue_changed()  # new published items: list pages and counts change
        implementation_ids = _reserve_ids(Implementation, len(fresh))
        guide_ids = _reserve_ids(GuideVersion, len(fresh))
        implementations, guides, materials, steps, faqs, links = [], [], [], [], [], []
        for (code, n, region, stem_index, sub_index), impl_id, guide_id in zip(
            fresh, implementation_ids, guide_ids, strict=True
        ):
            stem = STEMS[stem_index]
            place = places[(region.code, stem.dept)]
            basic_id, basic_code_, basic_name_, competent = basics[sub_index * len(STEMS) + stem_index]
            published_at = now - dt.timedelta(minutes=(n * 7919 + seed) % 525_600)
            score, findings, blocking = scores.get(stem_index, (100, [], 0))
            implementations.append(
                {
                    "id": impl_id,
                    "implementation_code": code,
                    "basic_item_id": basic_id,
                    "organisation_id": place.organisation_id,
                    "region_id": place.region_code,
                    "popularity": (n * 2654435761 + seed) % 10_000,
                    "published_version_id": guide_id,
                    "public_status": PublicStatus.PUBLISHED.value,
                    "name": basic_name_,
                    "item_type": stem.item_type,
                    "for_person": codes.ServiceObject.PERSON in stem.objects,
                    "for_enterprise": bool(set(stem.objects) & codes.LEGAL_PERSON_OBJECTS),
                    "online_depth": stem.depth,
                    "published_at": published_at,
                }
            )
            fields = guide_fields(stem, place, name=basic_name_, seq=n)
            material_list, step_list, faq_list = material_rows(stem), step_rows(stem), faq_rows(stem)
            template_key = (stem_index, place)
            template = templates.get(template_key)
            if template is None:
                template = templates[template_key] = guide_writer.record(
                    {
                        **fields,
                        "version": 1,
                        "status": GuideStatus.PUBLISHED.value,
                        "quality_score": score,
                        "quality_findings": findings,
                        "blocking_findings": blocking,
                    }
                )
            theme = _theme_for(stem_index, stem, themes)
            snapshot = guide_snapshot(
                fields,
                implementation_code=code,
                basic=(basic_code_, basic_name_, competent),
                place=place,
                version=1,
                published_at=published_at,
                materials=material_list,
                steps=step_list,
                faqs=faq_list,
                themes=[{k: theme[k] for k in ("code", "name", "audience")}] if theme else [],
                quality_score=score,
            )
            guides.append(
                guide_writer.patched(
                    template,
                    {
                        "id": guide_id,
                        "implementation_id": impl_id,
                        "name": fields["name"],
                        "exercise_content": fields["exercise_content"],
                        "online_url": fields["online_url"],
                        "consultation_phone": fields["consultation_phone"],
                        "snapshot": snapshot,
                        "submitted_at": published_at,
                        "published_at": published_at,
                    },
                )
            )
            materials += [{**m, "guide_id": guide_id} for m in material_list]
            steps += [{**s, "guide_id": guide_id} for s in step_list]
            faqs += [{**q, "guide_id": guide_id} for q in faq_list]
            if theme:
                links.append(through(guideversion_id=guide_id, theme_id=theme["id"]))
        # Implementations first: their published_version_id is checked at commit (deferred constraint).
        writers[Implementation].insert(implementations)
        guide_writer.insert_records(guides)
        writers[Material].insert(materials)
        writers[Step].insert(steps)
        writers[Faq].insert(faqs)
        through.objects.bulk_create(links)


def _refresh_statistics() -> None:
    """Planner statistics after a bulk load; on PostgreSQL also the visibility map (VACUUM), without
    which index-only scans still visit every heap page."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.get_autocommit():
            for model in (Implementation, GuideVersion, Material, Step, Faq, Organisation, BasicItem):
                cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
        else:
            cursor.execute("ANALYZE")


def _finish(result: GenerateResult, *, region_code: str, seed: int, actor: Any) -> None:
    """One audit row for the whole run, and fresh planner statistics.

    Why one row and not one per item: the run is one operator action whose content is fully determined by
    its parameters (region, count, seed, first and last code), and a million audit rows would double the
    run's time and bury real catalogue changes; the row makes the bulk insert visible and attributable.
    """
    if result.created:
        with transaction.atomic():
            audit.record(
                actor=actor,
                action="catalog.generate",
                object_type="catalog.implementation",
                object_id=f"{result.first_code}…{result.last_code}"[:64],
                after={"count": result.created, "first": result.first_code, "last": result.last_code},
                summary=f"生成基准测试事项 {result.created} 项（区划 {region_code}）",
                data={
                    "count": result.created,
                    "skipped": result.skipped,
                    "region": region_code,
                    "seed": seed,
                    "first_code": result.first_code,
                    "last_code": result.last_code,
                },
            )
        _refresh_statistics()
