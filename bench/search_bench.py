"""Search benchmark: latency p50/p95/p99 (one query at a time), throughput under 16 threads, reindex speed.

    .venv/bin/python bench/search_bench.py --items 100000            # SQLite (data/bench/search.sqlite3)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/search_bench.py --items 100000

Calls the search service in-process (no HTTP). When the database holds fewer published implementations
than --items, it first adds synthetic ones with bulk_create (about sixty real item names × six handling
variants, in synthetic counties, each with aliases, three materials, one FAQ and one theme), then rebuilds
the index and reports the reindex time per 100,000 items. --reindex forces that rebuild. The slowest
single queries are listed with their CPU and wall time (--slowest N); --concurrent-queries 0 skips the
throughput run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))


@dataclass(frozen=True)
class Stem:
    name: str
    dept: str
    aliases: str
    materials: tuple[str, str, str]
    faq: str
    theme: str
    audience: str
    item_type: str


DEPARTMENTS = {
    "police": ("公安局", "公安局"),
    "civil": ("民政局", "民政局"),
    "market": ("市场监督管理局", "市场监管局"),
    "hr": ("人力资源和社会保障局", "人社局"),
    "housing": ("住房和城乡建设局", "住建局"),
    "health": ("卫生健康局", "卫健局"),
    "fund": ("住房公积金管理中心", "公积金中心"),
    "education": ("教育局", "教育局"),
}
THEMES = {
    "BT01": ("户籍办理", "person"),
    "BT02": ("婚姻登记", "person"),
    "BT03": ("社会保障", "person"),
    "BT04": ("住房保障", "person"),
    "BT05": ("设立变更", "enterprise"),
    "BT06": ("准营准办", "enterprise"),
    "BT07": ("工程建设", "enterprise"),
    "BT08": ("职业资格", "person"),
}
ID = "居民身份证"
BOOK = "居民户口簿"
LICENCE = "营业执照"
STEMS: tuple[Stem, ...] = tuple(
    Stem(*row)
    for row in (
        (
            "居民身份证申领",
            "police",
            "办身份证、第一次办身份证",
            (BOOK, "近期免冠照片", "申领登记表"),
            "首次申领需要本人到场吗？",
            "BT01",
            "person",
            "07",
        ),
        (
            "居民身份证换领",
            "police",
            "身份证到期换证",
            ("原居民身份证", BOOK, "申领登记表"),
            "有效期满前多久可以换领？",
            "BT01",
            "person",
            "07",
        ),
        (
            "居民身份证补领",
            "police",
            "身份证丢了补办",
            (BOOK, "申领登记表", "遗失声明"),
            "在外地能补领吗？",
            "BT01",
            "person",
            "07",
        ),
        (
            "临时居民身份证核发",
            "police",
            "临时身份证",
            (BOOK, "近期免冠照片", "申请表"),
            "临时身份证有效期多久？",
            "BT01",
            "person",
            "07",
        ),
        (
            "居住证签发",
            "police",
            "办居住证、暂住证",
            (ID, "居住地住址证明", "就业证明"),
            "居住满多久可以申领？",
            "BT01",
            "person",
            "07",
        ),
        (
            "出生登记",
            "police",
            "新生儿上户口、报户口",
            ("出生医学证明", BOOK, "结婚证"),
            "出生后多久内要登记？",
            "BT01",
            "person",
            "07",
        ),
        (
            "户口迁移",
            "police",
            "迁户口、落户",
            (ID, BOOK, "准予迁入证明"),
            "迁移需要本人到场吗？",
            "BT01",
            "person",
            "07",
        ),
        (
            "死亡人员户口注销",
            "police",
            "销户、注销户口",
            ("居民死亡医学证明", BOOK, ID),
            "由谁来办理注销？",
            "BT01",
            "person",
            "07",
        ),
        (
            "普通护照签发",
            "police",
            "办护照、出国护照",
            (ID, "近期免冠照片", "出入境证件申请表"),
            "护照多久可以拿到？",
            "BT01",
            "person",
            "07",
        ),
        (
            "往来港澳通行证签发",
            "police",
            "港澳通行证、去香港办证",
            (ID, "近期免冠照片", "出入境证件申请表"),
            "可以网上续签吗？",
            "BT01",
            "person",
            "07",
        ),
        (
            "往来台湾通行证签发",
            "police",
            "台湾通行证",
            (ID, "近期免冠照片", "出入境证件申请表"),
            "需要邀请函吗？",
            "BT01",
            "person",
            "07",
        ),
        (
            "机动车驾驶证初次申领",
            "police",
            "考驾照、学车拿证",
            (ID, "身体条件证明", "近期免冠照片"),
            "多大年龄可以考驾照？",
            "BT01",
            "person",
            "01",
        ),
        (
            "机动车驾驶证补领",
            "police",
            "驾照补办、驾驶证丢了",
            (ID, "驾驶证申请表", "遗失声明"),
            "补领后原证还能用吗？",
            "BT01",
            "person",
            "01",
        ),
        (
            "机动车驾驶证期满换证",
            "police",
            "换驾照、驾照过期",
            (ID, "身体条件证明", "机动车驾驶证"),
            "期满前多久可以换证？",
            "BT01",
            "person",
            "01",
        ),
        (
            "机动车注册登记",
            "police",
            "新车上牌、上牌照",
            ("机动车所有人身份证明", "机动车销售统一发票", "整车出厂合格证明"),
            "上牌需要多久？",
            "BT01",
            "person",
            "07",
        ),
        (
            "机动车检验合格标志核发",
            "police",
            "年检、车辆年检、验车",
            ("机动车行驶证", "交强险凭证", "安全技术检验报告"),
            "新车几年免检？",
            "BT01",
            "person",
            "20",
        ),
        (
            "印章刻制备案",
            "police",
            "刻公章、刻章备案",
            (LICENCE, "法定代表人居民身份证", "印章印模"),
            "刻章需要多久？",
            "BT05",
            "enterprise",
            "20",
        ),
        (
            "内地居民结婚登记",
            "civil",
            "领结婚证、结婚登记、领证",
            ("双方居民身份证", BOOK, "申请结婚登记声明书"),
            "结婚登记可以预约吗？",
            "BT02",
            "person",
            "07",
        ),
        (
            "内地居民离婚登记",
            "civil",
            "办离婚、协议离婚",
            ("双方居民身份证", "结婚证", "离婚协议书"),
            "离婚冷静期多久？",
            "BT02",
            "person",
            "07",
        ),
        (
            "补领结婚证",
            "civil",
            "结婚证丢了、补办结婚证",
            ("双方居民身份证", "合影照片", "婚姻登记档案"),
            "一方可以补领吗？",
            "BT02",
            "person",
            "07",
        ),
        (
            "收养登记",
            "civil",
            "领养孩子",
            (ID, BOOK, "收养登记申请书"),
            "收养需要什么条件？",
            "BT02",
            "person",
            "07",
        ),
        (
            "最低生活保障审核确认",
            "civil",
            "办低保、申请低保",
            (ID, BOOK, "家庭经济状况核对授权书"),
            "低保标准是多少？",
            "BT03",
            "person",
            "05",
        ),
        (
            "特困人员救助供养审核确认",
            "civil",
            "五保户申请、特困供养",
            (ID, BOOK, "特困人员救助供养申请书"),
            "谁可以申请特困供养？",
            "BT03",
            "person",
            "05",
        ),
        (
            "临时救助",
            "civil",
            "临时困难补助、急难救助",
            (ID, "临时救助申请书", "急难情况证明"),
            "临时救助多久到账？",
            "BT03",
            "person",
            "05",
        ),
        (
            "残疾人两项补贴申领",
            "civil",
            "残疾人补贴、护理补贴",
            (ID, "残疾人证", BOOK),
            "补贴标准是多少？",
            "BT03",
            "person",
            "05",
        ),
        (
            "社会团体成立登记",
            "civil",
            "成立协会、社团登记",
            ("社会团体法人登记申请书", "业务主管单位批准文件", "社会团体章程"),
            "成立社团需要多少会员？",
            "BT05",
            "enterprise",
            "07",
        ),
        (
            "企业设立登记",
            "market",
            "公司注册、开公司、企业开办",
            ("公司登记申请书", "公司章程", "住所使用证明"),
            "企业名称可以自主申报吗？",
            "BT05",
            "enterprise",
            "07",
        ),
        (
            "企业变更登记",
            "market",
            "公司变更、变更法人",
            ("变更登记申请书", "股东会决议", LICENCE),
            "变更后需要换照吗？",
            "BT05",
            "enterprise",
            "07",
        ),
        (
            "企业注销登记",
            "market",
            "公司注销、注销公司",
            ("注销登记申请书", "清算报告", LICENCE),
            "简易注销需要多久？",
            "BT05",
            "enterprise",
            "07",
        ),
        (
            "个体工商户登记",
            "market",
            "个体户注册、开店",
            ("个体工商户登记申请书", "经营者居民身份证", "经营场所证明"),
            "可以网上注册吗？",
            "BT05",
            "enterprise",
            "07",
        ),
        (
            "食品经营许可",
            "market",
            "开餐馆办证、餐饮许可",
            (LICENCE, "食品经营许可申请书", "食品安全管理制度"),
            "小餐饮需要许可吗？",
            "BT06",
            "enterprise",
            "01",
        ),
        (
            "药品零售企业许可",
            "market",
            "开药店",
            (LICENCE, "药品经营许可申请表", "执业药师证明"),
            "开药店需要执业药师吗？",
            "BT06",
            "enterprise",
            "01",
        ),
        (
            "城乡居民基本养老保险参保登记",
            "hr",
            "居民养老保险参保、新农保",
            (ID, BOOK, "参保登记表"),
            "每年什么时候缴费？",
            "BT03",
            "person",
            "20",
        ),
        (
            "职工基本养老保险关系转移接续",
            "hr",
            "社保转移、养老保险转移",
            (ID, "转移接续申请表", "参保缴费凭证"),
            "跨省转移要多久？",
            "BT03",
            "person",
            "20",
        ),
        (
            "失业保险金申领",
            "hr",
            "领失业金、失业救济金",
            (ID, "社会保障卡", "解除劳动关系证明"),
            "失业保险金能领多久？",
            "BT03",
            "person",
            "05",
        ),
        (
            "职工基本养老保险待遇申领",
            "hr",
            "办退休、领养老金",
            (ID, "社会保障卡", "职工人事档案"),
            "退休手续怎么办？",
            "BT03",
            "person",
            "05",
        ),
        (
            "社会保障卡申领",
            "hr",
            "办社保卡、市民卡",
            (ID, "近期免冠照片", "申领表"),
            "社保卡多久能拿到？",
            "BT03",
            "person",
            "20",
        ),
        (
            "工伤认定",
            "hr",
            "工伤申报、工伤鉴定",
            ("工伤认定申请表", "劳动关系证明", "医疗诊断证明"),
            "工伤认定时限是多久？",
            "BT03",
            "person",
            "07",
        ),
        (
            "就业创业证申领",
            "hr",
            "失业证、就业失业登记证",
            (ID, "就业创业登记申请表", "近期免冠照片"),
            "电子就业创业证怎么领？",
            "BT03",
            "person",
            "20",
        ),
        (
            "创业担保贷款贴息",
            "hr",
            "创业贷款、大学生创业贷款",
            (ID, LICENCE, "创业担保贷款合同"),
            "贴息比例是多少？",
            "BT03",
            "person",
            "05",
        ),
        (
            "人力资源服务许可",
            "hr",
            "开职业中介、人力资源许可证",
            ("人力资源服务许可申请书", LICENCE, "经营场所证明"),
            "需要多少专职人员？",
            "BT06",
            "enterprise",
            "01",
        ),
        (
            "劳务派遣经营许可",
            "hr",
            "劳务派遣许可证",
            ("劳务派遣经营许可申请书", LICENCE, "公司章程"),
            "注册资本要求是多少？",
            "BT06",
            "enterprise",
            "01",
        ),
        (
            "住房公积金提取",
            "fund",
            "提取公积金、公积金提现",
            (ID, "购房合同", "不动产权证书"),
            "租房可以提取吗？",
            "BT04",
            "person",
            "20",
        ),
        (
            "住房公积金个人住房贷款",
            "fund",
            "公积金贷款、公积金按揭",
            ("借款人居民身份证", "商品房买卖合同", "首付款证明"),
            "最高能贷多少？",
            "BT04",
            "person",
            "20",
        ),
        (
            "住房公积金单位缴存登记",
            "fund",
            "公积金开户、单位公积金开户",
            (LICENCE, "单位缴存登记表", "法定代表人居民身份证"),
            "新单位多久内要开户？",
            "BT04",
            "enterprise",
            "20",
        ),
        (
            "住房公积金异地转移接续",
            "fund",
            "公积金转移、异地转移公积金",
            (ID, "转移接续申请表", "缴存证明"),
            "转移要多久到账？",
            "BT04",
            "person",
            "20",
        ),
        (
            "建筑工程施工许可证核发",
            "housing",
            "施工许可证办理、开工证",
            ("建设工程规划许可证", "施工合同", "建设资金已经落实承诺书"),
            "办理时限是多少？",
            "BT07",
            "enterprise",
            "01",
        ),
        (
            "房屋建筑工程竣工验收备案",
            "housing",
            "竣工备案",
            ("竣工验收报告", "规划验收认可文件", "消防验收意见"),
            "备案需要多久？",
            "BT07",
            "enterprise",
            "07",
        ),
        (
            "商品房预售许可",
            "housing",
            "预售证、楼盘预售许可",
            ("预售许可申请表", "国有土地使用证", "建设工程规划许可证"),
            "预售资金如何监管？",
            "BT07",
            "enterprise",
            "01",
        ),
        (
            "公共租赁住房资格审核",
            "housing",
            "申请公租房、廉租房",
            (ID, BOOK, "收入证明"),
            "公租房租金多少？",
            "BT04",
            "person",
            "05",
        ),
        (
            "医师执业注册",
            "health",
            "医师执业证书办理",
            ("医师资格证书", "医疗机构聘用证明", "健康体检证明"),
            "变更执业地点怎么办？",
            "BT08",
            "person",
            "01",
        ),
        (
            "护士执业注册",
            "health",
            "护士证注册",
            ("护士执业资格考试成绩合格证明", "健康体检证明", ID),
            "注册有效期多久？",
            "BT08",
            "person",
            "01",
        ),
        (
            "医疗机构执业登记",
            "health",
            "开诊所、诊所执业许可",
            ("医疗机构申请执业登记注册书", "房屋产权证明", "医务人员资格证明"),
            "开诊所需要什么条件？",
            "BT06",
            "enterprise",
            "01",
        ),
        (
            "公共场所卫生许可",
            "health",
            "卫生许可证",
            (LICENCE, "卫生许可申请书", "卫生检测报告"),
            "理发店要办卫生许可吗？",
            "BT06",
            "enterprise",
            "01",
        ),
        (
            "出生医学证明签发",
            "health",
            "办出生证",
            ("父母居民身份证", "分娩记录", "申请表"),
            "出生证丢了怎么补？",
            "BT01",
            "person",
            "20",
        ),
        (
            "教师资格认定",
            "education",
            "教师资格证办理、考教师证",
            ("普通话水平测试等级证书", "体检合格证明", "学历证书"),
            "认定有年龄限制吗？",
            "BT08",
            "person",
            "07",
        ),
        (
            "民办学校办学许可",
            "education",
            "办培训学校",
            ("办学许可申请书", "学校章程", "办学场所证明"),
            "需要多少注册资金？",
            "BT06",
            "enterprise",
            "01",
        ),
        (
            "义务教育阶段学生转学",
            "education",
            "孩子转学、转学手续",
            ("转学申请表", "学籍证明", BOOK),
            "转学什么时候办？",
            "BT01",
            "person",
            "20",
        ),
        (
            "不动产转移登记",
            "housing",
            "房产过户、二手房过户",
            ("不动产权证书", "买卖合同", "完税证明"),
            "二手房过户需要多久？",
            "BT04",
            "person",
            "07",
        ),
        (
            "养犬登记",
            "police",
            "狗证办理、办狗证",
            ("犬只免疫证明", "犬只照片", ID),
            "每年需要年检吗？",
            "BT01",
            "person",
            "20",
        ),
    )
)
VARIANTS = ("", "（首次申请）", "（变更）", "（延续）", "（注销）", "（补发）")

# Queries people type: exact names, Traditional, pinyin, initials, colloquial, typos, materials.
QUERIES = (
    "居民身份证申领",
    "身份證",
    "戶口遷移",
    "shenfenzheng",
    "sfz",
    "hukou",
    "gongjijin",
    "jiazhao",
    "驾照",
    "低保",
    "营业执照",
    "开公司",
    "领证",
    "上户口",
    "护照",
    "港澳通行证",
    "公积金",
    "社保卡",
    "退休",
    "身份正",
    "居民身份正申领",
    "往来港澳通行正签发",
    "出生医学证明",
    "居民户口簿",
    "公司章程",
    "结婚证",
    "残疾人证",
    "教师资格认定",
    "医师执业注册",
    "食品经营许可",
    "施工许可",
    "二手房过户",
    "办狗证",
    "失业金",
    "创业贷款",
    "jmsfzsl",
    "hkqy",
    "zfgjjtq",
    "我要办身份证",
    "怎么办理结婚登记",
    "企业注销",
    "个体户",
    "公租房",
    "卫生许可证",
    "转学",
    "年检",
    "刻章",
    "竣工验收备案",
)


def _setup(sqlite_path: Path) -> None:
    if not os.environ.get("DATABASE_URL"):
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("YIWANG_SQLITE_PATH", str(sqlite_path))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _populate(wanted: int, *, seed: int) -> int:
    """Add synthetic published implementations until the database holds `wanted`. Returns how many added."""
    from django.db import transaction
    from django.db.models import Max

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

    existing = Implementation.objects.filter(public_status=PublicStatus.PUBLISHED).count()
    missing = wanted - existing
    if missing <= 0:
        return 0
    rng = random.Random(seed)
    generated = Implementation.objects.filter(implementation_code__startswith="BENCH").count()
    counties = max(20, min(9000, (generated + missing) // 300))
    basics = len(STEMS) * len(VARIANTS)
    if counties * basics < generated + missing:
        raise SystemExit(f"at most {counties * basics} synthetic items fit; ask for fewer")

    def county_code(k: int) -> str:
        return f"{11 + k // 400:02d}{(k // 20) % 20 + 1:02d}{k % 20 + 1:02d}"

    regions = []
    for k in range(counties):
        code = county_code(k)
        province, prefecture = f"{code[:2]}0000", f"{code[:4]}00"
        regions += [
            Region(code=province, name=f"样例{code[:2]}省", level=RegionLevel.PROVINCE),
            Region(
                code=prefecture,
                name=f"样例{code[:2]}省{code[2:4]}市",
                level=RegionLevel.PREFECTURE,
                parent_id=province,
            ),
            Region(
                code=code,
                name=f"样例{code[2:4]}市{code[4:]}县",
                level=RegionLevel.COUNTY,
                parent_id=prefecture,
            ),
        ]
    Region.objects.bulk_create(
        list({region.code: region for region in regions}.values()), ignore_conflicts=True
    )
    Theme.objects.bulk_create(
        [Theme(code=code, name=name, audience=audience) for code, (name, audience) in THEMES.items()],
        ignore_conflicts=True,
    )
    themes = dict(Theme.objects.filter(code__in=THEMES).values_list("code", "pk"))
    Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"样例{county_code(k)}{suffix}",
                short_name=short,
                uscc=f"BX{county_code(k)}{n:02d}{k:08d}",
                region_id=county_code(k),
            )
            for k in range(counties)
            for n, (suffix, short) in enumerate(DEPARTMENTS.values())
        ],
        ignore_conflicts=True,
        batch_size=5000,
    )
    orgs = {
        (uscc[2:8], uscc[8:10]): pk
        for uscc, pk in Organisation.objects.filter(uscc__startswith="BX").values_list("uscc", "pk")
    }
    dept_index = {key: f"{n:02d}" for n, key in enumerate(DEPARTMENTS)}
    BasicItem.objects.bulk_create(
        [
            BasicItem(
                basic_code=f"97{s:04d}{v:06d}",
                name=stem.name + variant,
                item_type=stem.item_type,
                legal_basis="（基准测试数据）",
                competent_department=DEPARTMENTS[stem.dept][0],
            )
            for s, stem in enumerate(STEMS)
            for v, variant in enumerate(VARIANTS)
        ],
        ignore_conflicts=True,
    )
    basic_ids = dict(BasicItem.objects.filter(basic_code__startswith="97").values_list("basic_code", "pk"))
    next_impl = (Implementation.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    next_guide = (GuideVersion.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    through = GuideVersion.themes.through
    started = time.perf_counter()
    batch = 5000
    for first in range(0, missing, batch):
        implementations, guides, materials, faqs, links = [], [], [], [], []
        for offset in range(first, min(first + batch, missing)):
            serial = generated + offset
            b, k = serial % basics, (serial // basics) % counties
            stem, variant = STEMS[b // len(VARIANTS)], VARIANTS[b % len(VARIANTS)]
            impl_id, guide_id = next_impl + offset, next_guide + offset
            depth = rng.choice((1, 2, 3, 3, 4, 4))
            implementations.append(
                Implementation(
                    pk=impl_id,
                    implementation_code=f"BENCH{serial:012d}",
                    basic_item_id=basic_ids[f"97{b // len(VARIANTS):04d}{b % len(VARIANTS):06d}"],
                    organisation_id=orgs[(county_code(k), dept_index[stem.dept])],
                    region_id=county_code(k),
                    popularity=int(rng.paretovariate(1.2) * 10),
                    published_version_id=guide_id,
                    public_status=PublicStatus.PUBLISHED,
                    name=stem.name + variant,
                    item_type=stem.item_type,
                    for_person=stem.audience == "person",
                    for_enterprise=stem.audience == "enterprise",
                    online_depth=depth,
                )
            )
            guides.append(
                GuideVersion(
                    pk=guide_id,
                    implementation_id=impl_id,
                    version=1,
                    status=GuideStatus.PUBLISHED,
                    name=stem.name + variant,
                    aliases=stem.aliases,
                    item_type=stem.item_type,
                    exercise_level="4",
                    online_depth=depth,
                )
            )
            materials += [
                Material(guide_id=guide_id, order=n, name=name) for n, name in enumerate(stem.materials)
            ]
            faqs.append(Faq(guide_id=guide_id, question=stem.faq, answer="请咨询办理窗口。"))
            links.append(through(guideversion_id=guide_id, theme_id=themes[stem.theme]))
        with transaction.atomic():
            Implementation.objects.bulk_create(implementations)
            GuideVersion.objects.bulk_create(guides)
            Material.objects.bulk_create(materials)
            Faq.objects.bulk_create(faqs)
            through.objects.bulk_create(links)
        done = min(first + batch, missing)
        rate = done / (time.perf_counter() - started)
        print(f"\r  populating: {done:,}/{missing:,} ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return missing


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _workload(count: int, *, seed: int) -> list[tuple[str, str | None]]:
    """Queries with a region filter on every third one (a prefecture, i.e. a subtree)."""
    from yiwang.search.models import SearchDocument

    prefectures = sorted(
        {code[:4] + "00" for code in SearchDocument.objects.values_list("region_code", flat=True)[:5000]}
    )
    rng = random.Random(seed)
    return [
        (rng.choice(QUERIES), rng.choice(prefectures) if prefectures and n % 3 == 2 else None)
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--items", type=int, default=100_000, help="published implementations to search (default 100000)"
    )
    parser.add_argument("--queries", type=int, default=500, help="single-query latency samples (default 500)")
    parser.add_argument(
        "--threads", type=int, default=16, help="concurrent clients for throughput (default 16)"
    )
    parser.add_argument("--concurrent-queries", type=int, default=1600, help="queries in the throughput run")
    parser.add_argument("--reindex", action="store_true", help="rebuild the index even if it is complete")
    parser.add_argument("--sqlite", type=Path, default=REPO / "data" / "bench" / "search.sqlite3")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--slowest", type=int, default=10, help="list the N slowest single queries (0: none)")
    args = parser.parse_args()

    _setup(args.sqlite)
    from django.db import connection, connections

    from yiwang.search import indexer
    from yiwang.search.models import SearchDocument
    from yiwang.search.selectors import SearchRequest, search

    rows: list[tuple[str, str]] = [("database", connection.vendor), ("items requested", f"{args.items:,}")]
    added = _populate(args.items, seed=args.seed)
    rows.append(("synthetic items added", f"{added:,}"))
    if added or args.reindex or SearchDocument.objects.count() < args.items:
        report = indexer.reindex_all(on_progress=None)
        rows += [
            ("reindex: documents", f"{report.documents:,}"),
            ("reindex: seconds", f"{report.seconds:,.1f}"),
            ("reindex: items/s", f"{report.per_second:,.0f}"),
            ("reindex: s per 100,000 items", f"{report.seconds * 100_000 / max(report.documents, 1):,.1f}"),
        ]
    indexed = SearchDocument.objects.count()
    rows.append(("documents in index", f"{indexed:,}"))

    for q, _ in _workload(20, seed=args.seed):  # warm up: jieba, vocabulary, caches
        search(SearchRequest(q=q))
    workload = _workload(args.queries, seed=args.seed + 1)
    timings, cpu_timings, totals = [], [], []
    samples: list[tuple[float, float, str, str | None, str]] = []  # (CPU ms, wall ms, q, region, total)
    for q, region in workload:
        started, cpu_started = time.perf_counter(), time.process_time()
        page = search(SearchRequest(q=q, region=region))
        timings.append((time.perf_counter() - started) * 1000)
        # CPU time of this process (Python and SQLite run in it): what the query costs, without the wait
        # for a core that other work on a shared machine adds to the wall time.
        cpu_timings.append((time.process_time() - cpu_started) * 1000)
        totals.append(page.total)
        total = f"{page.total:,}" + ("" if page.total_exact else "+")
        samples.append((cpu_timings[-1], timings[-1], q, region, total))
    rows += [
        ("single: queries", f"{len(timings):,}"),
        ("single: mean ms", f"{statistics.fmean(timings):.1f}"),
        ("single: p50 ms", f"{_percentile(timings, 0.50):.1f}"),
        ("single: p95 ms", f"{_percentile(timings, 0.95):.1f}"),
        ("single: p99 ms", f"{_percentile(timings, 0.99):.1f}"),
        ("single: max ms", f"{max(timings):.1f}"),
        ("single: CPU p50 ms", f"{_percentile(cpu_timings, 0.50):.1f}"),
        ("single: CPU p95 ms", f"{_percentile(cpu_timings, 0.95):.1f}"),
        ("single: CPU p99 ms", f"{_percentile(cpu_timings, 0.99):.1f}"),
        ("single: mean hits per query", f"{statistics.fmean(totals):,.0f}"),
    ]

    if args.concurrent_queries:  # 0 skips the throughput run
        concurrent = _workload(args.concurrent_queries, seed=args.seed + 2)

        def run(item: tuple[str, str | None]) -> float:
            started = time.perf_counter()
            search(SearchRequest(q=item[0], region=item[1]))
            return (time.perf_counter() - started) * 1000

        def close_connection(_: object) -> None:
            connections.close_all()

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            latencies = list(pool.map(run, concurrent))
            list(pool.map(close_connection, range(args.threads)))
        elapsed = time.perf_counter() - started
        rows += [
            (f"{args.threads} threads: queries", f"{len(latencies):,}"),
            (f"{args.threads} threads: queries/s", f"{len(latencies) / elapsed:,.1f}"),
            (f"{args.threads} threads: p50 ms", f"{_percentile(latencies, 0.50):.1f}"),
            (f"{args.threads} threads: p95 ms", f"{_percentile(latencies, 0.95):.1f}"),
        ]

    width = max(len(label) for label, _ in rows)
    print(f"\nsearch benchmark ({indexed:,} items, {connection.vendor})")
    print("-" * (width + 16))
    for label, value in rows:
        print(f"{label:<{width}}  {value:>12}")
    if args.slowest:
        print(f"\nslowest single queries by CPU (of {len(samples)}): CPU ms, wall ms, query, region, total")
        for cpu, wall, q, region, total in sorted(samples, reverse=True)[: args.slowest]:
            print(f"  {cpu:7.1f} {wall:7.1f}  {q}  {region or '-'}  {total}")


if __name__ == "__main__":
    main()
