"""GB/T 39046-2020 附录A code tables and the national exchange enumerations (domain.md §1.2, §2.2)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemType(models.TextChoices):
    """事项类型代码 (表A.1). 00 is the umbrella 行政权力事项 and is not assigned to an item."""

    LICENSING = "01", _("行政许可")
    PENALTY = "02", _("行政处罚")
    ENFORCEMENT = "03", _("行政强制")
    LEVY = "04", _("行政征收")
    BENEFIT = "05", _("行政给付")
    INSPECTION = "06", _("行政检查")
    CONFIRMATION = "07", _("行政确认")
    REWARD = "08", _("行政奖励")
    ADJUDICATION = "09", _("行政裁决")
    OTHER_POWER = "10", _("其他行政权力")
    PUBLIC_SERVICE = "20", _("公共服务")


# Types a person or enterprise applies for (依申请); penalties, enforcement, levies and inspections are
# initiated by the administration and have no application.
ON_APPLICATION_TYPES = frozenset(
    {
        ItemType.LICENSING,
        ItemType.BENEFIT,
        ItemType.CONFIRMATION,
        ItemType.REWARD,
        ItemType.ADJUDICATION,
        ItemType.OTHER_POWER,
        ItemType.PUBLIC_SERVICE,
    }
)


class ExerciseLevel(models.TextChoices):
    """行使层级 (表A.2)."""

    NATIONAL = "1", _("国家级")
    PROVINCIAL = "2", _("省级")
    MUNICIPAL = "3", _("市级")
    COUNTY = "4", _("县级")
    TOWNSHIP = "5", _("镇（乡、街道）级")
    VILLAGE = "6", _("村（社区）级")
    TIERED = "7", _("分级管理")


class SubjectNature(models.TextChoices):
    """实施主体性质 (表A.3)."""

    STATUTORY = "1", _("法定机关")
    AUTHORISED = "2", _("授权组织")
    ENTRUSTED = "3", _("受委托组织")
    OTHER = "9", _("其他")


class ServiceObject(models.TextChoices):
    """服务对象 (表A.4)."""

    PERSON = "1", _("自然人")
    ENTERPRISE = "2", _("企业法人")
    INSTITUTION = "3", _("事业法人")
    SOCIAL_ORG = "4", _("社会组织法人")
    ADMINISTRATION = "5", _("行政机关")
    OTHER_ORG = "6", _("其他组织")


LEGAL_PERSON_OBJECTS = frozenset(
    {ServiceObject.ENTERPRISE, ServiceObject.INSTITUTION, ServiceObject.SOCIAL_ORG, ServiceObject.OTHER_ORG}
)


class HandlingForm(models.TextChoices):
    """办理形式 (表A.5)."""

    WINDOW = "1", _("窗口办理")
    PC_ONLINE = "2", _("电脑端网上办理")
    MOBILE_ONLINE = "3", _("移动端网上申请")
    POST = "4", _("快递申请")
    OTHER = "9", _("其他")


class CaseType(models.TextChoices):
    """办件类型 (表A.6)."""

    IMMEDIATE = "1", _("即办件")
    PROMISED = "2", _("承诺件")
    OTHER = "9", _("其他")


class SpecialProcedureKind(models.TextChoices):
    """特别程序种类 (表A.7)."""

    EXTENSION = "1", _("延长审批")
    OTHER = "2", _("除延长审批之外的情况")


class HandlingScope(models.TextChoices):
    """通办范围 (GB/T 39046 §6.1)."""

    NONE = "", _("不通办")
    NATIONAL = "national", _("全国通办")
    CROSS_PROVINCE = "province", _("跨省通办")
    CROSS_CITY = "city", _("跨市通办")
    CROSS_COUNTY = "county", _("跨县通办")


class TimeUnit(models.TextChoices):
    WORKING_DAY = "wd", _("工作日")
    CALENDAR_DAY = "cd", _("自然日")
    MONTH = "m", _("月")
    YEAR = "y", _("年")
    IMMEDIATE = "now", _("即办")


class OnlineDepth(models.IntegerChoices):
    """网上办理深度, as the four provincial levels (Ⅳ = 全程网办; domain.md §2.2)."""

    DISCLOSURE = 1, _("Ⅰ级 信息公开（网上咨询）")
    PRE_REVIEW = 2, _("Ⅱ级 在线预审")
    ONLINE_ACCEPTANCE = 3, _("Ⅲ级 网上受理（到现场一次）")
    FULLY_ONLINE = 4, _("Ⅳ级 全程网办")


class ResultType(models.TextChoices):
    """审批结果类型: what the applicant receives."""

    NONE = "", _("无")
    LICENCE = "licence", _("出证办结（证照）")
    APPROVAL = "approval", _("审批办结（批复、批文）")
    DOCUMENT = "document", _("出文办结（文书）")
    OTHER = "other", _("其他")


class DeliveryMethod(models.TextChoices):
    WINDOW = "window", _("窗口领取")
    POST = "post", _("邮寄送达")
    ELECTRONIC = "electronic", _("电子送达")


class PowerSource(models.TextChoices):
    STATUTORY = "1", _("法定本级行使")
    DELEGATED_UP = "2", _("上级下放")
    ENTRUSTED = "3", _("上级委托")
    OTHER = "9", _("其他")


class SystemLevel(models.TextChoices):
    """运行系统层级."""

    NATIONAL = "national", _("国家级系统")
    PROVINCIAL = "provincial", _("省级系统")
    MUNICIPAL = "municipal", _("市级系统")


class MaterialNecessity(models.TextChoices):
    REQUIRED = "required", _("必要")
    OPTIONAL = "optional", _("非必要（视情形提供）")
    DEFERRABLE = "deferrable", _("容缺（可后补）")


class MaterialForm(models.TextChoices):
    PAPER = "paper", _("纸质")
    ELECTRONIC = "electronic", _("电子")
    BOTH = "both", _("纸质或电子")


class MaterialSourceChannel(models.TextChoices):
    APPLICANT = "applicant", _("申请人自备")
    GOVERNMENT = "government", _("政府部门核发")
    INTERMEDIARY = "intermediary", _("中介机构出具")
    OTHER = "other", _("其他")


class MaterialObtainable(models.TextChoices):
    """Whether the platform can get this material itself, so the applicant need not submit it."""

    NO = "", _("需申请人提交")
    SHARING = "sharing", _("可通过数据共享获取")
    LICENCE = "licence", _("可调用电子证照")


class Audience(models.TextChoices):
    """The two portal audiences (个人/法人), derived from 服务对象."""

    PERSON = "person", _("个人")
    ENTERPRISE = "enterprise", _("法人")
