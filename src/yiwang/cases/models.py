"""Cases (办件): one application from draft to delivered result, with its materials, review steps,
special procedures, supplement requests, issued documents and an append-only event log.

The status column is changed only by `cases.services` through the transition table in
`cases.transitions`. Deadlines are columns computed with the working-day calendar (`cases.deadlines`);
`due_on` / `warn_on` are the deadline of the phase the case is in and the day its yellow warning starts,
so the periodic sweep scans an index instead of every row.

Case number (办件编号, unique nationwide): 20 digits = the implementation's region code (6, GB/T 2260)
+ the filing date YYYYMMDD (8, Asia/Shanghai) + a per-region-per-day sequence (6, from 000001), taken from
a counter row locked with SELECT … FOR UPDATE. Example: 33010020250930000042.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交，待受理")
    RETURNED = "returned", _("待补正")
    ACCEPTED = "accepted", _("已受理")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    IN_REVIEW = "in_review", _("审查中")
    SUPPLEMENTING = "supplementing", _("审查中补正")
    SPECIAL_PROCEDURE = "special", _("特别程序中")
    APPROVED = "approved", _("准予（已决定）")
    REFUSED = "refused", _("不予（已决定）")
    COMPLETED = "completed", _("已办结")
    DELIVERED = "delivered", _("已送达")
    WITHDRAWN = "withdrawn", _("已撤回")
    TRANSFERRED = "transferred", _("已移送")


# Statuses in which a deadline runs (the sweep's partial index covers exactly these).
OPEN_STATUSES = (
    CaseStatus.SUBMITTED,
    CaseStatus.ACCEPTED,
    CaseStatus.IN_REVIEW,
    CaseStatus.SUPPLEMENTING,
    CaseStatus.SPECIAL_PROCEDURE,
    CaseStatus.APPROVED,
    CaseStatus.REFUSED,
    CaseStatus.COMPLETED,
)
FINAL_STATUSES = (
    CaseStatus.NOT_ACCEPTED,
    CaseStatus.DELIVERED,
    CaseStatus.WITHDRAWN,
    CaseStatus.TRANSFERRED,
)


class Channel(models.TextChoices):
    WEB = "web", _("网上办理（电脑端）")
    MOBILE = "mobile", _("移动端")
    WINDOW = "window", _("窗口办理")
    API = "api", _("系统接口")


class WarningLevel(models.TextChoices):
    NONE = "", _("正常")
    YELLOW = "yellow", _("黄牌预警")
    RED = "red", _("红牌（已超期）")


class DeliveryMethod(models.TextChoices):
    POST = "post", _("邮寄送达")
    WINDOW = "window", _("窗口领取")
    ELECTRONIC = "electronic", _("电子送达")


# 办件编号: region code (6) + filing date (8) + the day's sequence in the region (6).
CASE_NUMBER_LENGTH = 20


class CaseNumberCounter(models.Model):
    """The last sequence number issued in one region on one day."""

    region_code = models.CharField(_("行政区划代码"), max_length=6)
    day = models.DateField(_("日期"))
    last = models.PositiveIntegerField(_("已用序号"), default=0)

    class Meta:
        verbose_name = _("办件编号计数器")
        verbose_name_plural = _("办件编号计数器")
        constraints = [models.UniqueConstraint(fields=["region_code", "day"], name="uniq_case_counter")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.day:%Y%m%d} · {self.last}"


class Case(models.Model):
    number = models.CharField(_("办件编号"), max_length=CASE_NUMBER_LENGTH, null=True, blank=True)
    implementation = models.ForeignKey(
        "catalog.Implementation", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="cases"
    )
    guide = models.ForeignKey(
        "catalog.GuideVersion",
        verbose_name=_("办事指南版本"),
        on_delete=models.PROTECT,
        related_name="cases",
        help_text=_("提交时现行的已发布版本；此后不随指南修改而变。"),
    )
    bundle = models.ForeignKey(
        "catalog.Bundle",
        verbose_name=_("一件事"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,  # the partial case_bundle index: most cases have none
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("办理机构"),
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,  # case_org_queue / case_org_order lead with it
    )
    region = models.ForeignKey(
        "core.Region",
        verbose_name=_("行政区划"),
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,  # case_region serves both equality and subtree prefixes
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,  # case_applicant leads with it
    )
    enterprise = models.ForeignKey(
        "accounts.Enterprise",
        verbose_name=_("申请企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,  # the partial case_enterprise index: most cases have none
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agent_cases",
        db_index=False,  # the partial case_agent index: most cases have none
    )
    situations = models.ManyToManyField(
        "catalog.Situation",
        verbose_name=_("办理情形"),
        blank=True,
        related_name="+",
        help_text=_("申请人选择的办理情形；材料清单据此生成。"),
    )
    channel = models.CharField(_("申请渠道"), max_length=8, choices=Channel.choices, default=Channel.WEB)
    form_data = models.JSONField(_("申请表内容"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.DRAFT, editable=False
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=64, blank=True)
    version = models.PositiveIntegerField(_("修改次数"), default=0, editable=False)

    # Time limits (working days, from the pinned guide).
    is_immediate = models.BooleanField(_("即办件"), default=False)
    limit_days = models.PositiveIntegerField(_("办结时限（工作日）"), default=20)
    acceptance_days = models.PositiveIntegerField(_("受理时限（工作日）"), default=5)
    extension_days = models.PositiveIntegerField(_("延长天数"), default=0)
    extension_reason = models.CharField(_("延长理由"), max_length=300, blank=True)
    suspended_since = models.DateField(_("计时中止日"), null=True, blank=True)
    suspended_days = models.PositiveIntegerField(_("中止计时工作日"), default=0)

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_on = models.DateField(_("提交日期"), null=True, blank=True)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    deemed_accepted = models.BooleanField(_("视为受理"), default=False)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    completed_on = models.DateField(_("办结日期"), null=True, blank=True)
    delivered_on = models.DateField(_("送达日期"), null=True, blank=True)

    acceptance_due = models.DateField(_("受理期限"), null=True, blank=True)
    decision_due = models.DateField(_("办结期限"), null=True, blank=True)
    delivery_due = models.DateField(_("送达期限"), null=True, blank=True)
    deadline_provisional = models.BooleanField(_("期限按临时日历计算"), default=False)
    due_on = models.DateField(_("当前环节期限"), null=True, blank=True, editable=False)
    warn_on = models.DateField(_("预警起始日"), null=True, blank=True, editable=False)
    warning_level = models.CharField(
        _("预警"), max_length=8, choices=WarningLevel.choices, default=WarningLevel.NONE, blank=True
    )

    decision_reason = models.TextField(_("决定理由"), blank=True)
    not_accepted_reason = models.TextField(_("不予受理理由"), blank=True)
    competent_body = models.CharField(_("有权机关"), max_length=200, blank=True)
    transferred_to = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("移送至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the partial case_transferred_to index: most cases have none
    )
    auto_decided = models.BooleanField(_("秒批（按规则自动审批）"), default=False)
    delivery_method = models.CharField(
        _("送达方式"), max_length=16, choices=DeliveryMethod.choices, blank=True
    )
    tracking_number = models.CharField(_("快递单号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-created_at"]
        constraints = [
            # A constraint rather than unique=True: PostgreSQL then gets the unique index only, not also a
            # pattern-ops copy for LIKE (numbers are searched by range; every index costs each insert).
            models.UniqueConstraint(fields=["number"], name="case_number_unique"),
            models.UniqueConstraint(
                fields=["applicant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="uniq_case_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["applicant", "-created_at"], name="case_applicant"),
            models.Index(fields=["organisation", "status", "due_on"], name="case_org_queue"),
            # warn_on included: supervision's live "warned" count (open, due_on ≥ today, warn_on ≤ today)
            # is then an index-only scan.
            models.Index(fields=["status", "due_on"], include=["warn_on"], name="case_status_due_warn"),
            # Supervision's drill-down lists (cases filed / completed in a period).
            models.Index(fields=["submitted_on"], name="case_submitted_on"),
            models.Index(
                fields=["completed_on"], name="case_completed_on", condition=Q(completed_on__isnull=False)
            ),
            # Each case inserts into and each non-HOT update rewrites every index that holds the row, so
            # columns most cases leave empty are indexed only where set (lookups by a value imply it).
            *(
                models.Index(
                    fields=[column], name=f"case_{column}", condition=Q(**{f"{column}__isnull": False})
                )
                for column in ("bundle", "enterprise", "agent", "transferred_to")
            ),
            models.Index(fields=["region"], name="case_region", opclasses=["varchar_pattern_ops"]),
            # The workbench: the "all" tab in page order (deadline first, nulls last), per department and
            # platform-wide, and the yellow / red tabs (warned cases only).
            models.Index(fields=["organisation", "due_on", "submitted_at", "id"], name="case_org_order"),
            models.Index(fields=["due_on", "submitted_at", "id"], name="case_order"),
            # Yellow / red tabs in page order, so a page stops after its rows instead of sorting every
            # warned case of the first deadline day (warned cases are open: the status filter drops none).
            models.Index(
                fields=["organisation", "warning_level", "due_on", "submitted_at", "id"],
                name="case_org_warning",
                condition=~Q(warning_level=""),
            ),
            models.Index(
                fields=["warning_level", "due_on", "submitted_at", "id"],
                name="case_warning",
                condition=~Q(warning_level=""),
            ),
            # The 待办结送达 tab: decided cases have no deadline, so its page order is the filing order;
            # these walk that order among decided cases only (a few percent of all) and stop after a page.
            # The status list is the tab's (workbench.selectors._queue_q "to_finish").
            models.Index(
                fields=["organisation", "submitted_at", "id"],
                name="case_org_finish",
                condition=Q(status__in=["approved", "refused", "completed"]),
            ),
            models.Index(
                fields=["submitted_at", "id"],
                name="case_finish",
                condition=Q(status__in=["approved", "refused", "completed"]),
            ),
            # The sweep: running clocks by the day their deadline passes (not yet red) and by the day
            # their yellow warning starts (not yet warned). Rows leave these indexes as they escalate.
            models.Index(
                fields=["due_on"],
                name="case_due_on",
                condition=Q(due_on__isnull=False) & ~Q(warning_level="red"),
            ),
            models.Index(
                fields=["warn_on"],
                name="case_warn_on",
                condition=Q(warn_on__isnull=False) & Q(warning_level=""),
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"草稿 #{self.pk}"


class MaterialStatus(models.TextChoices):
    MISSING = "missing", _("待提交")
    SUBMITTED = "submitted", _("已提交")
    TO_BE_FETCHED = "to_be_fetched", _("待共享获取")
    FETCHED = "fetched", _("已共享获取")
    DEFERRED = "deferred", _("容缺后补")


class CaseMaterial(models.Model):
    """One catalogue material required by the case, and how it is (or will be) provided."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="materials")
    catalog_material = models.ForeignKey(
        "catalog.Material",
        verbose_name=_("目录材料"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("材料名称"), max_length=200)
    necessity = models.CharField(_("材料必要性"), max_length=16)
    obtainable_by = models.CharField(_("免提交方式"), max_length=16, blank=True)
    obtainable_source = models.CharField(_("共享数据或证照来源"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    status = models.CharField(
        _("状态"), max_length=16, choices=MaterialStatus.choices, default=MaterialStatus.MISSING
    )
    promise_text = models.TextField(_("容缺承诺"), blank=True)
    promise_signed_at = models.DateTimeField(_("承诺签署时间"), null=True, blank=True)
    promise_due = models.DateField(_("承诺补交期限"), null=True, blank=True)

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class CaseFile(models.Model):
    """An uploaded file of a material. Files are never replaced: a re-upload adds a row."""

    material = models.ForeignKey(
        CaseMaterial, verbose_name=_("材料"), on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(_("文件"), upload_to="cases/materials/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=64)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sm3 = models.CharField(_("SM3 摘要"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("材料文件")
        verbose_name_plural = _("材料文件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class CaseEvent(models.Model):
    """Append-only history: one row per action on the case."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=32)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人说明"), max_length=64, blank=True)
    occurred_at = models.DateTimeField(_("时间"))
    comment = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("办件记录")
        verbose_name_plural = _("办件记录")
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["case", "occurred_at"], name="case_event_case")]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}→{self.to_status}"


class DocumentKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("受理通知书")
    NON_ACCEPTANCE = "non_acceptance", _("不予受理通知书")
    SUPPLEMENT = "supplement", _("一次性告知书（补正材料通知书）")
    DECISION = "decision", _("决定书")


class CaseDocument(models.Model):
    """A notice or decision issued on the case (generated PDF)."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="documents")
    event = models.ForeignKey(
        CaseEvent, verbose_name=_("办件记录"), on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("文书种类"), max_length=16, choices=DocumentKind.choices)
    title = models.CharField(_("标题"), max_length=100)
    file = models.FileField(_("文件"), upload_to="cases/documents/%Y/%m/")
    sm3 = models.CharField(_("SM3 摘要"), max_length=64)
    issued_at = models.DateTimeField(_("出具时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("办件文书")
        verbose_name_plural = _("办件文书")
        ordering = ["issued_at", "id"]

    def __str__(self) -> str:
        return self.title


class StepStatus(models.TextChoices):
    PENDING = "pending", _("未开始")
    ACTIVE = "active", _("办理中")
    DONE = "done", _("已完成")


class CaseStep(models.Model):
    """A review step copied from the guide. Steps of one lane run in order; lanes (one per department of a
    bundle) run in parallel and join when all are done."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="steps")
    lane = models.PositiveSmallIntegerField(_("并联分支"), default=0)
    order = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("环节名称"), max_length=64)
    role = models.CharField(_("办理岗位"), max_length=64)
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("办理机构"), on_delete=models.PROTECT, related_name="+"
    )
    time_limit = models.PositiveSmallIntegerField(_("环节时限（工作日）"), default=0)
    due_on = models.DateField(_("环节期限"), null=True, blank=True)
    warn_on = models.DateField(_("环节预警起始日"), null=True, blank=True, editable=False)
    warning_level = models.CharField(
        _("环节预警"), max_length=8, choices=WarningLevel.choices, default=WarningLevel.NONE, blank=True
    )
    status = models.CharField(_("状态"), max_length=8, choices=StepStatus.choices, default=StepStatus.PENDING)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opinion = models.TextField(_("办理意见"), blank=True)

    class Meta:
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")
        ordering = ["lane", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "lane", "order"], name="uniq_case_step_order")]
        indexes = [
            # 我的环节: the cases with an active step at the user's departments, read from the index alone
            # (the tab hashes these case ids; all active steps for a superuser).
            models.Index(
                fields=["organisation", "case"], name="case_step_active", condition=Q(status="active")
            ),
            # The sweep's step escalation: active steps by due day (not yet red) and warn day (not warned).
            models.Index(
                fields=["due_on"],
                name="case_step_due_on",
                condition=Q(status="active") & ~Q(warning_level="red"),
            ),
            models.Index(
                fields=["warn_on"],
                name="case_step_warn_on",
                condition=Q(status="active") & Q(warning_level=""),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SpecialProcedureRun(models.Model):
    """One special procedure (听证、检验检测、专家评审 …) on a case, with its effect on the clock."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="special_procedures"
    )
    kind = models.CharField(_("种类"), max_length=64)
    reason = models.TextField(_("原因"))
    counts_toward_limit = models.BooleanField(_("计入办结时限"), default=False)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    result = models.TextField(_("结果"), blank=True)
    suspended_days = models.PositiveIntegerField(_("中止计时工作日"), default=0)

    class Meta:
        verbose_name = _("特别程序")
        verbose_name_plural = _("特别程序")
        ordering = ["started_on", "id"]

    def __str__(self) -> str:
        return self.kind


class SupplementRequest(models.Model):
    """一次性告知 / 补正: the one complete list of everything missing or wrong, with a deadline."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="supplement_requests"
    )
    items = models.JSONField(_("补正事项"), help_text=_('[{"material": 名称, "problem": 问题说明}]'))
    deadline = models.DateField(_("补正期限"))
    after_acceptance = models.BooleanField(_("受理后补正"), default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("告知人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("告知时间"), auto_now_add=True)
    answered_at = models.DateTimeField(_("补正时间"), null=True, blank=True)
    lapsed_at = models.DateTimeField(
        _("逾期处理时间"), null=True, blank=True, help_text=_("补正期限届满未补正、由期限扫描处理的时间。")
    )

    class Meta:
        verbose_name = _("补正告知")
        verbose_name_plural = _("补正告知")
        ordering = ["requested_at", "id"]
        indexes = [
            models.Index(
                fields=["deadline"],
                name="case_supplement_open",
                condition=Q(answered_at__isnull=True) & Q(lapsed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"补正告知 · {self.deadline:%Y-%m-%d}"


class AutoApprovalRule(models.Model):
    """秒批: an implementation decided by rule. When every enabled condition holds at submission the case
    is accepted and approved at once by the system, and the event says which rule decided it."""

    implementation = models.OneToOneField(
        "catalog.Implementation",
        verbose_name=_("事项"),
        on_delete=models.CASCADE,
        related_name="auto_approval_rule",
    )
    enabled = models.BooleanField(_("启用"), default=True)
    require_all_materials = models.BooleanField(_("要求所有必要材料已提交或已共享获取"), default=True)
    require_registry_check = models.BooleanField(_("要求申请人已经人口库/法人库核验"), default=True)
    min_real_name_level = models.PositiveSmallIntegerField(_("最低实名等级"), default=2)
    description = models.CharField(_("规则说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("秒批规则")
        verbose_name_plural = _("秒批规则")

    def __str__(self) -> str:
        return f"秒批规则 · {self.implementation}"
