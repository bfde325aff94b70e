"""Materials many guides ask for, written once. Names and issuing bodies are the real ones; where the
platform can fetch a material itself, `obtainable_by` says how (数据共享 or 电子证照)."""

from __future__ import annotations

from yiwang.catalog.demo.spec import Mat

ID_CARD = Mat(
    "居民身份证",
    "公安机关",
    obtainable_by="licence",
    obtainable_source="居民身份证电子证照（公安部）",
    notes="须在有效期内；可在“浙里办”出示电子身份证。",
)
HUKOU = Mat(
    "居民户口簿",
    "公安机关",
    obtainable_by="sharing",
    obtainable_source="浙江省人口综合库（公安人口库）",
    notes="含户主页及本人页。",
)
MARRIAGE_CERT = Mat(
    "结婚证", "婚姻登记机关", obtainable_by="licence", obtainable_source="结婚证电子证照（民政部）"
)
BIRTH_CERT = Mat(
    "出生医学证明",
    "助产机构",
    obtainable_by="licence",
    obtainable_source="出生医学证明电子证照（卫生健康部门）",
)
BUSINESS_LICENCE = Mat(
    "营业执照",
    "市场监督管理部门",
    obtainable_by="licence",
    obtainable_source="营业执照电子证照（国家市场监督管理总局）",
)
PROPERTY_CERT = Mat(
    "不动产权证书（房屋所有权证明）",
    "不动产登记机构",
    obtainable_by="licence",
    obtainable_source="不动产权证书电子证照（自然资源部门）",
)
DRIVING_LICENCE = Mat(
    "机动车驾驶证",
    "公安机关交通管理部门",
    obtainable_by="licence",
    obtainable_source="电子驾驶证（公安部交通管理局）",
)
VEHICLE_LICENCE = Mat(
    "机动车行驶证",
    "公安机关交通管理部门",
    obtainable_by="licence",
    obtainable_source="电子行驶证（公安部交通管理局）",
)
INSURANCE = Mat(
    "机动车交通事故责任强制保险凭证",
    "保险公司",
    form="electronic",
    source="other",
    obtainable_by="sharing",
    obtainable_source="交强险电子保单信息（保险行业信息平台）",
)
SOCIAL_CARD = Mat(
    "社会保障卡",
    "人力资源社会保障部门",
    obtainable_by="licence",
    obtainable_source="电子社会保障卡（人力资源社会保障部）",
    notes="用于核验身份和发放待遇的金融账户。",
)
LEGAL_REP_ID = Mat(
    "法定代表人居民身份证",
    "公安机关",
    obtainable_by="licence",
    obtainable_source="居民身份证电子证照（公安部）",
)
AGENT = Mat(
    "授权委托书及受托人居民身份证",
    "申请人",
    necessity="optional",
    notes="委托他人代为办理时提供；授权委托书须载明委托事项和权限。",
)
HEALTH_CHECK = Mat(
    "健康体检证明",
    "县级以上医疗机构",
    issue_time="申请前6个月内出具",
    source="other",
)
PREMISES = Mat(
    "经营场所使用证明（产权证明或租赁合同）",
    "申请人",
    copies=1,
    original=0,
    notes="产权证明可通过不动产登记信息共享核验，租赁合同须在有效期内。",
)
DEATH_CERT = Mat(
    "居民死亡医学证明（推断）书",
    "医疗卫生机构",
    obtainable_by="sharing",
    obtainable_source="浙江省卫生健康委死亡医学证明信息",
)
DEGREE = Mat(
    "学历证书",
    "教育机构",
    obtainable_by="sharing",
    obtainable_source="学信网学历信息（教育部）",
)
HOUSE_CONTRACT = Mat(
    "商品房买卖合同（网签备案）",
    "房地产开发企业",
    obtainable_by="sharing",
    obtainable_source="房屋网签备案信息（住房和城乡建设部门）",
)
PHOTO = Mat(
    "近期正面免冠彩色照片",
    "申请人",
    form="paper",
    notes="也可在办理现场免费拍摄或由系统调用人像信息。",
)
ACCOUNT_STATEMENT = Mat(
    "陈述、申辩材料",
    "当事人",
    necessity="optional",
    notes="当事人有权在收到告知书之日起依法进行陈述和申辩。",
)


def form(name: str, notes: str = "可在浙江政务服务网下载或在办理窗口领取，网上申请时在线填写。") -> Mat:
    """The item's own application form (申请表/申请书), filled in by the applicant."""
    return Mat(f"《{name}》", "申请人", form="both", notes=notes)


def held(name: str, issuing_body: str, notes: str = "") -> Mat:
    """A document the applicant keeps and shows (original only, returned after checking)."""
    return Mat(name, issuing_body, notes=notes or "原件核验后退还。")


def copy_of(name: str, issuing_body: str, notes: str = "") -> Mat:
    """A document of which the applicant hands in a copy."""
    return Mat(name, issuing_body, original=0, copies=1, notes=notes)
