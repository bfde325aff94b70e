"""一件事 bundles: several implementations handled as one, members named by (basic code, organisation)."""

from __future__ import annotations

from dataclasses import dataclass

from yiwang.catalog.demo import themes as t


@dataclass(frozen=True)
class BundleSpec:
    code: str
    name: str
    description: str
    audience: str
    lead: str
    region: str
    themes: tuple[str, ...]
    promised_limit: int
    members: tuple[tuple[str, str], ...]


BUNDLES: tuple[BundleSpec, ...] = (
    BundleSpec(
        "330100-YJS-001",
        "新生儿出生一件事",
        "新生儿出生后，一次申请即可办理出生医学证明、预防接种证、出生登记（落户）、城乡居民医保参保和社会保障卡申领。",
        "person",
        "hz_wjw",
        "330100",
        (t.BIRTH, t.HUKOU),
        5,
        (
            ("000801001000", "hz_fck"),
            ("000801007000", "hz_fck"),
            ("000101006000", "xh_ga"),
            ("000802001000", "hz_yb"),
            ("000301006000", "hz_rsj"),
        ),
    ),
    BundleSpec(
        "330100-YJS-002",
        "企业开办一件事",
        "一次填报，同步完成营业执照、公章刻制、涉税信息确认和发票领用、社保登记、公积金缴存登记，一日办结。",
        "enterprise",
        "hz_scjg",
        "330100",
        (t.SETUP,),
        1,
        (
            ("000501001000", "hz_scjg"),
            ("000101010000", "hz_ga"),
            ("001301001000", "hz_sw"),
            ("001301002000", "hz_sw"),
            ("000301007000", "hz_rsj"),
            ("000401003000", "hz_gjj"),
        ),
    ),
    BundleSpec(
        "330100-YJS-003",
        "退休一件事",
        "职工退休时一次申请，联办养老保险待遇核定、住房公积金退休提取和异地安置就医备案。",
        "person",
        "hz_rsj",
        "330100",
        (t.SOCIAL, t.FUND),
        10,
        (
            ("000301004000", "hz_rsj"),
            ("000401001003", "hz_gjj"),
            ("000802002000", "hz_yb"),
        ),
    ),
    BundleSpec(
        "330100-YJS-004",
        "身后一件事",
        "亲属一次申报，联办户口注销、惠民殡葬减免、丧葬补助金抚恤金申领、公积金提取和不动产继承登记。",
        "person",
        "hz_mzj",
        "330100",
        (t.DEATH,),
        20,
        (
            ("000101008000", "xh_ga"),
            ("000204001000", "xh_mzj"),
            ("000301005000", "hz_rsj"),
            ("000401001004", "hz_gjj"),
            ("000703001002", "hz_gzj"),
        ),
    ),
    BundleSpec(
        "330106-YJS-001",
        "婚育户一件事",
        "结婚登记时一并申请户口迁移（夫妻投靠）和生育登记。",
        "person",
        "xh_mzj",
        "330106",
        (t.MARRIAGE, t.BIRTH, t.HUKOU),
        3,
        (
            ("000201001000", "xh_mzj"),
            ("000101007000", "xh_ga"),
            ("000801002000", "xh_wjj"),
        ),
    ),
    BundleSpec(
        "330100-YJS-005",
        "二手房转移登记及水电气联动过户一件事",
        "存量房交易“一窗受理”：不动产转移登记、契税缴纳和购房提取公积金一次办，水电气网过户同步推送。",
        "person",
        "hz_gzj",
        "330100",
        (t.HOUSING, t.FUND),
        1,
        (
            ("000703001002", "hz_gzj"),
            ("001301004000", "hz_sw"),
            ("000401001001", "hz_gjj"),
        ),
    ),
    BundleSpec(
        "330106-YJS-002",
        "开办餐饮店一件事",
        "开餐饮店一次申请：个体工商户登记、食品经营许可、营业前消防安全检查、排水许可和店招审批。",
        "enterprise",
        "xh_scjg",
        "330106",
        (t.SETUP, t.PERMITS, t.FOOD_DRUG),
        5,
        (
            ("000501004000", "xh_scjg"),
            ("000502001000", "xh_scjg"),
            ("001701001000", "xh_xf"),
            ("000701005000", "hz_cg"),
            ("000701006000", "hz_cg"),
        ),
    ),
    BundleSpec(
        "330782-YJS-001",
        "开办药店一件事",
        "开办零售药店一次申请：个体工商户登记、药品经营许可（零售）和第二类医疗器械经营备案。",
        "enterprise",
        "yw_scjg",
        "330782",
        (t.SETUP, t.FOOD_DRUG),
        10,
        (
            ("000501004000", "yw_scjg"),
            ("000601001000", "yw_scjg"),
            ("000601004000", "yw_scjg"),
        ),
    ),
    BundleSpec(
        "330106-YJS-003",
        "失业一件事",
        "失业人员一次申请：失业登记、失业保险金申领和就业创业证申领。",
        "person",
        "xh_rsj",
        "330106",
        (t.JOBS, t.SOCIAL),
        1,
        (
            ("000302002000", "xh_rsj"),
            ("000301003000", "xh_rsj"),
            ("000302001000", "xh_rsj"),
        ),
    ),
)
