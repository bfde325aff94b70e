"""The service catalogue: basic catalogue (基本目录), implementations (实施清单), versioned guides (办事指南)
with all GB/T 39046 table 4 elements, materials, steps, fees, special procedures, FAQ, and bundles (一件事).

A guide version is edited as rows (so the admin can edit it), and frozen at publication into `snapshot`,
the exact document every channel serves (同源发布). A published version never changes; editing a published
guide creates the next version (catalog.services.new_version).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.catalog import codes
from yiwang.catalog.form_schema import validate_form_schema


class Theme(models.Model):
    """服务主题 / life event (生育收养, 户籍办理, 设立变更 …), for one audience."""

    code = models.CharField(_("主题代码"), max_length=16, unique=True)
    name = models.CharField(_("主题名称"), max_length=64)
    audience = models.CharField(_("面向对象"), max_length=16, choices=codes.Audience.choices)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("服务主题")
        verbose_name_plural = _("服务主题")
        ordering = ["audience", "order", "code"]

    def __str__(self) -> str:
        return self.name


class BasicItem(models.Model):
    """基本目录: the item as defined once. A 子项 points at its 主项."""

    basic_code = models.CharField(_("基本编码"), max_length=32, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    item_type = models.CharField(_("事项类型"), max_length=2, choices=codes.ItemType.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("主项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_items",
    )
    legal_basis = models.TextField(_("设定依据"))
    competent_department = models.CharField(_("主管部门"), max_length=128)
    is_national = models.BooleanField(_("国家基本目录"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("基本目录事项")
        verbose_name_plural = _("基本目录")
        ordering = ["basic_code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.basic_code}）"


class PublicStatus(models.TextChoices):
    UNPUBLISHED = "unpublished", _("未发布")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已取消")


# The public list's filters that its indexes carry, so a page is chosen without reading table rows.
LIST_FILTER_COLUMNS = ("region", "item_type", "for_person", "for_enterprise", "online_depth")


def _list_index(*key: str) -> list[str]:
    """Published rows by `key`, then the remaining filter columns (checked from the index entry)."""
    return ["public_status", *key, *(column for column in LIST_FILTER_COLUMNS if column not in key)]


class Implementation(models.Model):
    """实施清单: one item as one organisation in one region carries it out. Stable across guide versions.

    The columns after `published_version` are copied from the published version in the same transaction
    that publishes it, so lists and filters read one indexed table.
    """

    implementation_code = models.CharField(_("实施编码"), max_length=40, unique=True)
    basic_item = models.ForeignKey(
        BasicItem, verbose_name=_("基本目录事项"), on_delete=models.PROTECT, related_name="implementations"
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("实施主体"),
        on_delete=models.PROTECT,
        related_name="implementations",
    )
    region = models.ForeignKey(
        "core.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="implementations"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    popularity = models.PositiveIntegerField(
        _("热度"), default=0, help_text=_("近期访问与办件量，用于排序。")
    )

    published_version = models.OneToOneField(
        "GuideVersion",
        verbose_name=_("现行版本"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    public_status = models.CharField(
        _("发布状态"), max_length=16, choices=PublicStatus.choices, default=PublicStatus.UNPUBLISHED
    )
    name = models.CharField(_("事项名称"), max_length=200, blank=True)
    item_type = models.CharField(_("事项类型"), max_length=2, choices=codes.ItemType.choices, blank=True)
    for_person = models.BooleanField(_("面向个人"), default=False)
    for_enterprise = models.BooleanField(_("面向法人"), default=False)
    online_depth = models.PositiveSmallIntegerField(
        _("网上办理深度"), choices=codes.OnlineDepth.choices, null=True, blank=True
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("实施清单事项")
        verbose_name_plural = _("实施清单")
        ordering = ["implementation_code"]
        indexes = [
            # The public list's page query (catalog.selectors.published_rows) walks one of the first three
            # in 实施编码 order. Each carries every other list filter column after its key, so the page is
            # chosen from the index alone: at 1,000,000 items checking a filter in the table row meant a
            # random page read per index entry (an SQLite page of 20 rows took up to 6 ms).
            models.Index(fields=_list_index("implementation_code"), name="impl_list_code"),
            models.Index(fields=_list_index("region", "implementation_code"), name="impl_list_region"),
            models.Index(fields=_list_index("item_type", "implementation_code"), name="impl_list_type"),
            models.Index(
                fields=["public_status", "organisation", "implementation_code"], name="impl_status_org"
            ),
            models.Index(
                fields=["public_status", "-popularity", "implementation_code"], name="impl_status_pop"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.basic_item.name}（{self.implementation_code}）"


class GuideStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("审核中")
    PUBLISHED = "published", _("已发布")
    SUPERSEDED = "superseded", _("已被新版本替代")
    WITHDRAWN = "withdrawn", _("已取消")


class GuideVersion(models.Model):
    """One version of an implementation's guide (办事指南) with every GB/T 39046 table 4 element."""

    implementation = models.ForeignKey(
        Implementation, verbose_name=_("实施清单事项"), on_delete=models.CASCADE, related_name="versions"
    )
    version = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(
        _("状态"), max_length=16, choices=GuideStatus.choices, default=GuideStatus.DRAFT, editable=False
    )

    # 基本要素
    name = models.CharField(_("事项名称"), max_length=200)
    aliases = models.CharField(
        _("别名/俗称"), max_length=300, blank=True, help_text=_("多个以顿号或逗号分隔，供搜索使用。")
    )
    item_type = models.CharField(_("事项类型"), max_length=2, choices=codes.ItemType.choices)
    legal_basis = models.TextField(_("设定依据"), blank=True)
    exercise_level = models.CharField(_("行使层级"), max_length=1, choices=codes.ExerciseLevel.choices)
    authority_division = models.TextField(_("权限划分"), blank=True)
    exercise_content = models.TextField(_("行使内容"), blank=True)
    subject_nature = models.CharField(
        _("实施主体性质"),
        max_length=1,
        choices=codes.SubjectNature.choices,
        default=codes.SubjectNature.STATUTORY,
    )
    power_source = models.CharField(
        _("权力来源"), max_length=1, choices=codes.PowerSource.choices, default=codes.PowerSource.STATUTORY
    )
    entrusting_department = models.CharField(_("委托部门"), max_length=128, blank=True)
    undertaking_organisation = models.CharField(_("承办机构"), max_length=128, blank=True)
    joint_organisations = models.ManyToManyField(
        "core.Organisation",
        verbose_name=_("共同实施部门（联办机构）"),
        blank=True,
        related_name="joint_guides",
    )

    # 时限
    legal_limit = models.PositiveIntegerField(_("法定办结时限"), null=True, blank=True)
    legal_limit_unit = models.CharField(
        _("法定办结时限单位"),
        max_length=3,
        choices=codes.TimeUnit.choices,
        default=codes.TimeUnit.WORKING_DAY,
    )
    legal_limit_note = models.CharField(_("法定办结时限说明"), max_length=300, blank=True)
    promised_limit = models.PositiveIntegerField(
        _("承诺办结时限"), null=True, blank=True, help_text=_("即办件填0。")
    )
    promised_limit_unit = models.CharField(
        _("承诺办结时限单位"),
        max_length=3,
        choices=codes.TimeUnit.choices,
        default=codes.TimeUnit.WORKING_DAY,
    )
    promised_limit_note = models.CharField(_("承诺办结时限说明"), max_length=300, blank=True)
    case_type = models.CharField(
        _("办件类型"), max_length=1, choices=codes.CaseType.choices, default=codes.CaseType.PROMISED
    )

    # 受理与结果
    acceptance_conditions = models.TextField(_("受理条件"), blank=True)
    intermediary_services = models.TextField(_("中介服务"), blank=True)
    quantity_limit = models.CharField(_("数量限制"), max_length=300, blank=True)
    result_name = models.CharField(_("结果名称"), max_length=200, blank=True)
    result_type = models.CharField(
        _("审批结果类型"), max_length=16, choices=codes.ResultType.choices, blank=True
    )
    result_sample = models.FileField(_("结果样本"), upload_to="catalog/results/%Y/", blank=True)

    # 收费
    charges_fee = models.BooleanField(_("是否收费"), default=False)
    fee_basis = models.TextField(_("收费依据"), blank=True)

    # 对象与主题
    service_objects = models.JSONField(_("服务对象"), default=list, help_text=_("GB/T 39046 表A.4 代码列表"))
    themes = models.ManyToManyField(Theme, verbose_name=_("服务主题"), blank=True, related_name="guides")
    handling_scope = models.CharField(
        _("通办范围"), max_length=16, choices=codes.HandlingScope.choices, blank=True
    )
    jurisdiction = models.CharField(_("行政管辖"), max_length=200, blank=True)

    # 办理方式
    handling_forms = models.JSONField(_("办理形式"), default=list, help_text=_("GB/T 39046 表A.5 代码列表"))
    online_depth = models.PositiveSmallIntegerField(
        _("网上办理深度"), choices=codes.OnlineDepth.choices, default=codes.OnlineDepth.DISCLOSURE
    )
    is_online = models.BooleanField(_("是否网办"), default=False)
    online_url = models.URLField(_("网办地址"), blank=True)
    system_level = models.CharField(
        _("运行系统层级"),
        max_length=16,
        choices=codes.SystemLevel.choices,
        default=codes.SystemLevel.PROVINCIAL,
    )
    sso_pc = models.BooleanField(_("计算机端对接单点登录"), default=True)
    sso_mobile = models.BooleanField(_("移动端对接单点登录"), default=True)
    visits = models.PositiveSmallIntegerField(_("到办事现场次数"), default=0)
    onsite_reason = models.CharField(_("必须现场办理原因说明"), max_length=300, blank=True)
    in_hall = models.BooleanField(_("是否进驻政务服务大厅"), default=True)
    supports_appointment = models.BooleanField(_("是否支持预约办理"), default=False)
    supports_online_payment = models.BooleanField(_("是否支持网上支付"), default=False)
    supports_delivery = models.BooleanField(_("是否支持物流快递"), default=False)
    delivery_methods = models.JSONField(_("结果送达方式"), default=list)

    # 地点与联系
    place = models.TextField(_("办理地点"), blank=True)
    hours = models.TextField(_("办理时间"), blank=True)
    consultation_method = models.TextField(_("咨询方式"), blank=True)
    consultation_phone = models.CharField(_("咨询电话"), max_length=64, blank=True)
    supervision_phone = models.CharField(_("监督投诉电话"), max_length=64, blank=True)

    planned_effective_date = models.DateField(_("计划生效日期"), null=True, blank=True)
    planned_cancel_date = models.DateField(_("计划取消日期"), null=True, blank=True)

    # 申请表: the item's own application-form fields (catalog.form_schema); empty = the default form.
    form_schema = models.JSONField(
        _("申请表定义"),
        default=dict,
        blank=True,
        validators=[validate_form_schema],
        help_text=_(
            "本事项申请表的专有栏目（JSON Schema 子集，见 catalog/form_schema.py）；留空则按事项类型使用默认申请表。"
            "申请人姓名、联系电话、联系地址（企业申请另加企业名称和统一社会信用代码）由平台自动加上。"
        ),
    )

    # 质量检查结果（保存时计算）
    quality_score = models.PositiveSmallIntegerField(_("质量评分"), default=0, editable=False)
    quality_findings = models.JSONField(_("质量检查结果"), default=list, editable=False)
    blocking_findings = models.PositiveSmallIntegerField(_("阻断性问题数"), default=0, editable=False)

    snapshot = models.JSONField(_("发布快照"), null=True, blank=True, editable=False)
    change_note = models.CharField(_("修改说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交审核时间"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(_("取消时间"), null=True, blank=True, editable=False)
    status_reason = models.CharField(_("状态变更原因"), max_length=300, blank=True, editable=False)

    class Meta:
        verbose_name = _("办事指南")
        verbose_name_plural = _("办事指南")
        ordering = ["implementation_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["implementation", "version"], name="uniq_guide_version"),
            models.UniqueConstraint(
                fields=["implementation"],
                condition=Q(status="published"),
                name="one_published_guide_per_implementation",
            ),
        ]
        indexes = [models.Index(fields=["status", "implementation"])]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}（{self.get_status_display()}）"

    @property
    def is_editable(self) -> bool:
        return self.status == GuideStatus.DRAFT


class GuidePart(models.Model):
    """Rows that belong to one guide version and are copied with it into the next version."""

    guide = models.ForeignKey(
        GuideVersion, verbose_name=_("办事指南"), on_delete=models.CASCADE, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "id"]


class Variant(GuidePart):
    """业务办理项: the smallest unit (新办、变更、延续、注销)."""

    guide = models.ForeignKey(
        GuideVersion, verbose_name=_("办事指南"), on_delete=models.CASCADE, related_name="variants"
    )
    code_suffix = models.CharField(
        _("办理项序号"), max_length=2, help_text=_("两位数字，附在实施编码后构成业务办理项编码。")
    )
    name = models.CharField(_("办理项名称"), max_length=200)

    class Meta(GuidePart.Meta):
        verbose_name = _("业务办理项")
        verbose_name_plural = _("业务办理项")

    def __str__(self) -> str:
        return self.name


class Situation(GuidePart):
    """办理情形: a case that changes the material list."""

    guide = models.ForeignKey(
        GuideVersion, verbose_name=_("办事指南"), on_delete=models.CASCADE, related_name="situations"
    )
    variant = models.ForeignKey(
        Variant,
        verbose_name=_("业务办理项"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="situations",
    )
    name = models.CharField(_("情形名称"), max_length=200)
    description = models.TextField(_("情形说明"), blank=True)

    class Meta(GuidePart.Meta):
        verbose_name = _("办理情形")
        verbose_name_plural = _("办理情形")

    def __str__(self) -> str:
        return self.name


class Material(GuidePart):
    guide = models.ForeignKey(
        GuideVersion, verbose_name=_("办事指南"), on_delete=models.CASCADE, related_name="materials"
    )
    situation = models.ForeignKey(
        Situation,
        verbose_name=_("适用情形"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="materials",
        help_text=_("为空表示所有情形均需。"),
    )
    name = models.CharField(_("材料名称"), max_length=200)
    issuing_body = models.CharField(_("出具机构"), max_length=128, blank=True)
    issue_time_requirement = models.CharField(_("出具时间要求"), max_length=200, blank=True)
    source_channel = models.CharField(
        _("来源渠道"),
        max_length=16,
        choices=codes.MaterialSourceChannel.choices,
        default=codes.MaterialSourceChannel.APPLICANT,
    )
    original_count = models.PositiveSmallIntegerField(_("原件份数"), default=0)
    copy_count = models.PositiveSmallIntegerField(_("复印件份数"), default=0)
    form = models.CharField(
        _("材料形式"), max_length=16, choices=codes.MaterialForm.choices, default=codes.MaterialForm.BOTH
    )
    necessity = models.CharField(
        _("材料必要性"),
        max_length=16,
        choices=codes.MaterialNecessity.choices,
        default=codes.MaterialNecessity.REQUIRED,
    )
    notes = models.TextField(_("材料办理说明"), blank=True)
    usage_notes = models.TextField(_("材料使用说明"), blank=True)
    blank_form = models.FileField(_("空白表格"), upload_to="catalog/forms/%Y/", blank=True)
    sample = models.FileField(_("示例样表"), upload_to="catalog/samples/%Y/", blank=True)
    obtainable_by = models.CharField(
        _("免提交方式"), max_length=16, choices=codes.MaterialObtainable.choices, blank=True
    )
    obtainable_source = models.CharField(
        _("共享数据或证照来源"),
        max_length=200,
        blank=True,
        help_text=_("如：公安部人口库、营业执照电子证照。"),
    )

    class Meta(GuidePart.Meta):
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")

    def __str__(self) -> str:
        return self.name


class Step(GuidePart):
    """办理流程的一个环节."""

    guide = models.ForeignKey(
        GuideVersion, verbose_name=_("办事指南"), on_delete=models.CASCADE, related_name="steps"
    )
    name = models.CharField(_("环节名称"), max_length=64)
    role = models.CharField(_("办理人员（岗位）"), max_length=64)
    time_limit = models.PositiveSmallIntegerField(_("环节时限（工作日）"), default=0)
    standard = models.TextField(_("审查标准"), blank=True)
    result = models.CharField(_("办理结果"), max_length=200, blank=True)

    class Meta(GuidePart.Meta):
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理流程")

    def __str__(self) -> str:
        return self.name


class Fee(GuidePart):
    guide = models.ForeignKey(
        GuideVersion, verbose_name=_("办事指南"), on_delete=models.CASCADE, related_name="fees"
    )
    name = models.CharField(_("收费项目名称"), max_length=128)
    standard = models.CharField(_("收费标准"), max_length=300)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    basis = models.TextField(_("收费依据"))
    reducible = models.BooleanField(_("是否允许减免"), default=False)
    reduction_basis = models.TextField(_("减免依据"), blank=True)

    class Meta(GuidePart.Meta):
        verbose_name = _("收费项目")
        verbose_name_plural = _("收费项目")

    def __str__(self) -> str:
        return self.name


class SpecialProcedure(GuidePart):
    """特别程序 / 特殊环节: hearing, testing, expert review …, which may stop the clock."""

    guide = models.ForeignKey(
        GuideVersion, verbose_name=_("办事指南"), on_delete=models.CASCADE, related_name="special_procedures"
    )
    kind = models.CharField(
        _("特别程序种类"),
        max_length=1,
        choices=codes.SpecialProcedureKind.choices,
        default=codes.SpecialProcedureKind.OTHER,
    )
    name = models.CharField(_("环节名称"), max_length=64)
    time_limit = models.PositiveSmallIntegerField(_("所需时限"))
    time_limit_unit = models.CharField(
        _("时限单位"), max_length=3, choices=codes.TimeUnit.choices, default=codes.TimeUnit.WORKING_DAY
    )
    legal_basis = models.TextField(_("法定依据"), blank=True)
    charges_fee = models.BooleanField(_("是否收费"), default=False)
    counts_toward_limit = models.BooleanField(_("是否计算在办结时限内"), default=False)

    class Meta(GuidePart.Meta):
        verbose_name = _("特别程序")
        verbose_name_plural = _("特别程序")

    def __str__(self) -> str:
        return self.name


class Faq(GuidePart):
    guide = models.ForeignKey(
        GuideVersion, verbose_name=_("办事指南"), on_delete=models.CASCADE, related_name="faqs"
    )
    question = models.CharField(_("问题"), max_length=300)
    answer = models.TextField(_("解答"))

    class Meta(GuidePart.Meta):
        verbose_name = _("常见问题")
        verbose_name_plural = _("常见问题")

    def __str__(self) -> str:
        return self.question


class BundleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已取消")


class Bundle(models.Model):
    """一件事: several implementations handled as one for the applicant."""

    code = models.CharField(_("一件事编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    audience = models.CharField(_("面向对象"), max_length=16, choices=codes.Audience.choices)
    lead_organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="led_bundles"
    )
    region = models.ForeignKey(
        "core.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="bundles"
    )
    themes = models.ManyToManyField(Theme, verbose_name=_("服务主题"), blank=True, related_name="bundles")
    status = models.CharField(
        _("状态"), max_length=16, choices=BundleStatus.choices, default=BundleStatus.DRAFT, editable=False
    )
    promised_limit = models.PositiveIntegerField(_("承诺办结时限（工作日）"), null=True, blank=True)
    members = models.ManyToManyField(
        Implementation, through="BundleMember", verbose_name=_("包含事项"), related_name="bundles"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BundleMember(models.Model):
    bundle = models.ForeignKey(
        Bundle, verbose_name=_("一件事"), on_delete=models.CASCADE, related_name="memberships"
    )
    implementation = models.ForeignKey(
        Implementation, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("一件事包含事项")
        verbose_name_plural = _("一件事包含事项")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "implementation"], name="uniq_bundle_member")
        ]

    def __str__(self) -> str:
        return f"{self.bundle} · {self.implementation}"


class CatalogueGeneration(models.Model):
    """One row: a number that moves, in the same transaction, with every change to what the public
    catalogue API serves (publication, withdrawal, bulk generation, an import that changed something).
    Every process of every deployment sees it without Redis; `catalog.readcache` drops its in-memory
    copies of API answers when it moves."""

    value = models.BigIntegerField(_("目录变更序号"), default=0)

    class Meta:
        verbose_name = _("目录变更序号")
        verbose_name_plural = _("目录变更序号")

    def __str__(self) -> str:
        return str(self.value)
