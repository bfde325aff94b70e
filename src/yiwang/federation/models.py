"""Federation between Yiwang deployments: this node's key, its peers, the outbox of messages to them,
the record of messages received, and (on the hub) the catalogue entries the nodes published.

Delivery is at-least-once (the outbox retries until the peer says it has the message) and application
is exactly-once (the receiver records each message id in the same transaction as its effect).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class NodeRole(models.TextChoices):
    HUB = "hub", _("国家枢纽")
    NODE = "node", _("地区节点")


class NodeKey(models.Model):
    """This deployment's SM2 key pair (one active row; older rows stay so old signatures still verify)."""

    public_hex = models.CharField(_("公钥"), max_length=128, unique=True)
    private_encrypted = models.TextField(_("私钥（SM4 加密）"))
    active = models.BooleanField(_("使用中"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("本节点密钥")
        verbose_name_plural = _("本节点密钥")

    def __str__(self) -> str:
        return self.public_hex[:16]


class Peer(models.Model):
    code = models.CharField(_("节点代码（行政区划）"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    role = models.CharField(_("角色"), max_length=8, choices=NodeRole.choices)
    base_url = models.URLField(_("地址"), max_length=300)
    public_hex = models.CharField(_("公钥"), max_length=128)
    active = models.BooleanField(_("启用"), default=True)
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("对端节点")
        verbose_name_plural = _("对端节点")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待投递")
    DELIVERED = "delivered", _("已送达")
    DEAD = "dead", _("投递失败（死信）")


class OutboxMessage(models.Model):
    """A message to a peer, written in the same transaction as the change it reports."""

    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    peer = models.ForeignKey(
        Peer, verbose_name=_("收件节点"), on_delete=models.PROTECT, related_name="outbox"
    )
    kind = models.CharField(_("类型"), max_length=64)
    payload = models.JSONField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=12, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("投递次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次投递"))
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发件箱消息")
        verbose_name_plural = _("发件箱消息")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="federation_outbox_due")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.peer_id}"


class ReceivedMessage(models.Model):
    """Every message applied here, by its sender's id: a second delivery is recognised, never reapplied."""

    message_id = models.UUIDField(unique=True)
    sender = models.CharField(_("发件节点"), max_length=6)
    kind = models.CharField(_("类型"), max_length=64)
    sent_at = models.DateTimeField(_("发出时间"))
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    result = models.JSONField(_("处理结果"), default=dict, blank=True)

    class Meta:
        verbose_name = _("已接收消息")
        verbose_name_plural = _("已接收消息")
        indexes = [models.Index(fields=["sender", "received_at"], name="federation_received_sender")]

    def __str__(self) -> str:
        return f"{self.sender} {self.kind}"


class RemoteImplementation(models.Model):
    """On the hub: a service item a node published (同源发布), with its guide document as the node sent it."""

    node = models.CharField(_("来源节点"), max_length=6)
    implementation_code = models.CharField(_("实施编码"), max_length=40, unique=True)
    basic_code = models.CharField(_("基本编码"), max_length=32, blank=True)
    name = models.CharField(_("事项名称"), max_length=200)
    region_code = models.CharField(_("行政区划代码"), max_length=6)
    region_name = models.CharField(_("行政区划"), max_length=100)
    organisation_name = models.CharField(_("实施机构"), max_length=128)
    item_type = models.CharField(_("事项类型"), max_length=2)
    online_depth = models.PositiveSmallIntegerField(_("网办深度"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本号"))
    popularity = models.PositiveIntegerField(
        _("热度"), default=0, help_text=_("节点上的热度，全国搜索据此与本平台事项一起排序。")
    )
    published_at = models.CharField(_("发布时间"), max_length=32, blank=True)
    document = models.JSONField(_("办事指南"))
    withdrawn = models.BooleanField(_("已撤销"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("地区节点事项")
        verbose_name_plural = _("地区节点事项")
        indexes = [
            models.Index(fields=["withdrawn", "region_code"], name="federation_remote_region"),
            models.Index(fields=["node", "withdrawn"], name="federation_remote_node"),
        ]

    def __str__(self) -> str:
        return f"{self.implementation_code} {self.name}"


from yiwang.federation.cross_models import *  # noqa: E402, F403
