"""统一支付: payment orders for fee-charging decisions, provider callbacks, refunds, reconciliation, and
the sandbox provider's own ledger (what a real provider keeps on its side).

The order status changes only in `payments.services`, by guarded UPDATEs (… WHERE status = old).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("待缴费")
    PAID = "paid", _("已缴费")
    CLOSED = "closed", _("已关闭")
    REFUNDED = "refunded", _("已全额退款")


class PaymentOrder(models.Model):
    """One payment order (缴费单) for a case: the amount, its lines and their legal basis."""

    number = models.CharField(_("缴费单号"), max_length=32, unique=True)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="payment_orders"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("缴费人"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("收费机构"), on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(_("缴费事由"), max_length=200)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    lines = models.JSONField(
        _("收费明细"),
        default=list,
        help_text=_('[{"name": 项目, "standard": 标准, "amount": "10.00", "basis": 依据}]'),
    )
    fee_basis = models.TextField(_("收费依据"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING, editable=False
    )
    provider = models.CharField(_("支付渠道"), max_length=32)
    provider_trade_no = models.CharField(_("渠道交易号"), max_length=64, blank=True)
    paid_at = models.DateTimeField(_("缴费时间"), null=True, blank=True)
    paid_on = models.DateField(_("缴费日期（对账日）"), null=True, blank=True)
    paid_amount = models.DecimalField(
        _("实缴金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    refunded_amount = models.DecimalField(_("已退金额（元）"), max_digits=14, decimal_places=2, default=0)
    closed_reason = models.CharField(_("关闭原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("缴费单")
        verbose_name_plural = _("缴费单")
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one order awaiting payment or paid per case: a decision never bills twice.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=["pending", "paid"]),
                name="uniq_payment_open_order_per_case",
            )
        ]
        indexes = [
            models.Index(fields=["paid_on", "provider"], name="payment_paid_on"),
            models.Index(fields=["status", "created_at"], name="payment_status"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def pay_url(self) -> str:
        """The applicant's pay page of this order."""
        from django.urls import reverse

        return reverse("payments:order", args=[self.number])

    @property
    def is_payable(self) -> bool:
        return self.status == OrderStatus.PENDING


class PaymentNotification(models.Model):
    """Every callback received, verified or not (forged ones are kept as evidence). `notify_id` is the
    provider's id of the notification: a repeated id is acknowledged and changes nothing."""

    provider = models.CharField(_("支付渠道"), max_length=32)
    notify_id = models.CharField(_("通知编号"), max_length=64, blank=True)
    order = models.ForeignKey(
        PaymentOrder,
        verbose_name=_("缴费单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    verified = models.BooleanField(_("签名有效"), default=False)
    outcome = models.CharField(_("处理结果"), max_length=200)
    body = models.TextField(_("原文"))
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("支付回调")
        verbose_name_plural = _("支付回调")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "notify_id"], condition=Q(verified=True), name="uniq_payment_notify_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.notify_id}"


class RefundStatus(models.TextChoices):
    SUCCEEDED = "succeeded", _("退款成功")
    FAILED = "failed", _("退款失败")


class Refund(models.Model):
    refund_no = models.CharField(_("退款单号"), max_length=32, unique=True)
    order = models.ForeignKey(
        PaymentOrder, verbose_name=_("缴费单"), on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(_("退款金额（元）"), max_digits=14, decimal_places=2)
    reason = models.CharField(_("退款原因"), max_length=300)
    status = models.CharField(_("状态"), max_length=16, choices=RefundStatus.choices)
    provider_refund_no = models.CharField(_("渠道退款号"), max_length=64, blank=True)
    failure = models.CharField(_("失败原因"), max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    refunded_on = models.DateField(_("退款日期（对账日）"), null=True, blank=True)

    class Meta:
        verbose_name = _("退款")
        verbose_name_plural = _("退款")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.refund_no


class MismatchKind(models.TextChoices):
    MISSING_LOCAL = "missing_local", _("渠道有记录，本平台未记为已缴/已退")
    MISSING_PROVIDER = "missing_provider", _("本平台记为已缴/已退，渠道无记录")
    AMOUNT = "amount", _("金额不一致")


class ReconciliationRun(models.Model):
    """One day's reconciliation against one provider's statement (re-running replaces it)."""

    day = models.DateField(_("对账日期"))
    provider = models.CharField(_("支付渠道"), max_length=32)
    provider_count = models.PositiveIntegerField(_("渠道笔数"), default=0)
    provider_total = models.DecimalField(_("渠道金额"), max_digits=16, decimal_places=2, default=0)
    local_count = models.PositiveIntegerField(_("本平台笔数"), default=0)
    local_total = models.DecimalField(_("本平台金额"), max_digits=16, decimal_places=2, default=0)
    mismatch_count = models.PositiveIntegerField(_("差异笔数"), default=0)
    finished_at = models.DateTimeField(_("完成时间"), auto_now=True)

    class Meta:
        verbose_name = _("对账")
        verbose_name_plural = _("对账")
        ordering = ["-day", "provider"]
        constraints = [models.UniqueConstraint(fields=["day", "provider"], name="uniq_reconciliation_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.provider}"


class ReconciliationMismatch(models.Model):
    run = models.ForeignKey(
        ReconciliationRun, verbose_name=_("对账"), on_delete=models.CASCADE, related_name="mismatches"
    )
    kind = models.CharField(_("差异类型"), max_length=16, choices=MismatchKind.choices)
    entry = models.CharField(_("类别"), max_length=8, help_text=_("payment 缴费 / refund 退款"))
    reference = models.CharField(_("单号"), max_length=32)
    provider_amount = models.DecimalField(_("渠道金额"), max_digits=14, decimal_places=2, null=True)
    local_amount = models.DecimalField(_("本平台金额"), max_digits=14, decimal_places=2, null=True)

    class Meta:
        verbose_name = _("对账差异")
        verbose_name_plural = _("对账差异")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"


# --- the sandbox provider's side -------------------------------------------------------------------------


class SandboxTradeStatus(models.TextChoices):
    WAIT_BUYER_PAY = "WAIT_BUYER_PAY", _("等待付款")
    SUCCESS = "TRADE_SUCCESS", _("支付成功")
    CLOSED = "TRADE_CLOSED", _("交易关闭")


class SandboxTrade(models.Model):
    """The sandbox provider's own record of a trade — what a real provider keeps on its servers."""

    trade_no = models.CharField(_("渠道交易号"), max_length=32, unique=True)
    out_trade_no = models.CharField(_("商户订单号"), max_length=32, unique=True)
    merchant = models.CharField(_("收款方"), max_length=200)
    subject = models.CharField(_("商品说明"), max_length=200)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=SandboxTradeStatus.choices,
        default=SandboxTradeStatus.WAIT_BUYER_PAY,
    )
    notify_url = models.CharField(_("异步通知地址"), max_length=500)
    return_url = models.CharField(_("同步返回地址"), max_length=500)
    notify_id = models.CharField(_("通知编号"), max_length=64, blank=True)
    notify_attempts = models.PositiveSmallIntegerField(_("通知次数"), default=0)
    notified_at = models.DateTimeField(_("通知成功时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    paid_on = models.DateField(_("付款日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("沙箱交易")
        verbose_name_plural = _("沙箱交易")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["paid_on"], name="sandbox_trade_paid_on")]

    def __str__(self) -> str:
        return self.trade_no


class SandboxRefund(models.Model):
    trade = models.ForeignKey(
        SandboxTrade, verbose_name=_("交易"), on_delete=models.CASCADE, related_name="refunds"
    )
    out_refund_no = models.CharField(_("商户退款单号"), max_length=32, unique=True)
    refund_no = models.CharField(_("渠道退款号"), max_length=32, unique=True)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    refunded_on = models.DateField(_("退款日期"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("沙箱退款")
        verbose_name_plural = _("沙箱退款")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.refund_no
