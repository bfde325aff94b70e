"""`yiwang federation …`: this node's card, registering peers, catalogue sync, outbox delivery."""

from __future__ import annotations

import json
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from yiwang.core import audit, sm2
from yiwang.federation import catalogue, identity, outbox
from yiwang.federation.models import NodeRole, OutboxMessage, OutboxStatus, Peer


class Command(BaseCommand):
    help = "全国一体化：card 输出本节点名片；add-peer 登记对端；sync-catalogue 推送目录；deliver 投递消息。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("card", help="以 JSON 输出本节点的代码、角色、地址和公钥（交给对端登记）")
        add = actions.add_parser(
            "add-peer", help="登记或更新对端节点（读取对端 card 的 JSON 文件，- 为标准输入）"
        )
        add.add_argument("file")
        actions.add_parser("peers", help="列出对端节点")
        actions.add_parser("rotate-key", help="更换本节点密钥（旧公钥仍可验证旧签名）")
        actions.add_parser("sync-catalogue", help="把全部已发布事项推送给枢纽（分批写入发件箱）")
        deliver = actions.add_parser("deliver", help="投递到期的发件箱消息")
        deliver.add_argument(
            "--loop", action="store_true", help="持续投递，直到发件箱清空（或 --seconds 到期）"
        )
        deliver.add_argument("--seconds", type=float, default=0, help="与 --loop 同用：最多运行的秒数")
        actions.add_parser("retry-dead", help="重新投递全部死信")
        actions.add_parser("status", help="发件箱各状态的消息数")
        actions.add_parser("publish-basic", help="（枢纽）向各节点发布国家基本目录")
        actions.add_parser("claim-rate", help="（枢纽）各节点的基本目录认领率；（节点）本节点的认领情况")
        register = actions.add_parser(
            "sso-register",
            help="在本节点（身份提供方）为对端登记 OIDC 客户端，输出 client_id 和只显示一次的密钥",
        )
        register.add_argument("code", help="对端节点代码（须已用 add-peer 登记）")
        register.add_argument("--redirect-uri", action="append", required=True, help="对端的回调地址，可重复")
        stats = actions.add_parser("stats-report", help="把最近几天的办件与评价统计上报枢纽（写入发件箱）")
        stats.add_argument("--days", type=int, default=7, help="上报最近多少天（含今天，默认 7）")
        actions.add_parser("cross-resend", help="把外地转来、尚未办结的办件的当前状态重新发回收件地")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        getattr(self, f"_{action}")(options)

    def _card(self, options: dict[str, Any]) -> None:
        if not identity.enabled():
            raise CommandError("未设置 YIWANG_NODE_CODE：本部署未启用全国一体化。")
        self.stdout.write(json.dumps(identity.card(), ensure_ascii=False, indent=2))

    def _add_peer(self, options: dict[str, Any]) -> None:
        text = (
            sys.stdin.read() if options["file"] == "-" else Path(options["file"]).read_text(encoding="utf-8")
        )
        try:
            data = json.loads(text)
            code, public_hex = str(data["code"]), str(data["public_key"])
            role, base_url, name = (
                str(data["role"]),
                str(data["base_url"]),
                str(data.get("name") or data["code"]),
            )
        except (ValueError, KeyError) as exc:
            raise CommandError(f"名片格式不正确：{exc}") from None
        if not (len(code) == 6 and code.isdigit()):
            raise CommandError("节点代码应为 6 位行政区划代码。")
        if role not in NodeRole.values:
            raise CommandError(f"角色应为 {'、'.join(NodeRole.values)}。")
        if data.get("fingerprint") and sm2.fingerprint(public_hex) != data["fingerprint"]:
            raise CommandError("公钥与指纹不符：名片可能被改动，请向对端核实。")
        with transaction.atomic():
            peer, created = Peer.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "role": role,
                    "base_url": base_url,
                    "public_hex": public_hex,
                    "active": True,
                },
            )
            audit.record(
                actor="operator",
                action="federation.peer.register" if created else "federation.peer.update",
                object_type="federation.Peer",
                object_id=peer.pk,
                after={
                    "code": code,
                    "role": role,
                    "base_url": base_url,
                    "fingerprint": sm2.fingerprint(public_hex),
                },
            )
        self.stdout.write(
            self.style.SUCCESS(f"{'已登记' if created else '已更新'}节点 {code} {name}（{role}）。")
        )

    def _peers(self, options: dict[str, Any]) -> None:
        for peer in Peer.objects.all():
            self.stdout.write(
                f"{peer.code}\t{peer.role}\t{peer.base_url}\t{sm2.fingerprint(peer.public_hex)}\t{peer.name}"
            )

    def _rotate_key(self, options: dict[str, Any]) -> None:
        key = identity.rotate_key()
        self.stdout.write(f"新公钥指纹：{sm2.fingerprint(key.public_hex)}。请把新的名片交给各对端重新登记。")

    def _sync_catalogue(self, options: dict[str, Any]) -> None:
        from yiwang.catalog.selectors import published_implementations

        total = published_implementations().count()
        try:
            with tqdm(total=total, unit="项", desc="写入发件箱") as bar:
                count = catalogue.sync_all(progress=bar.update)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(f"已为 {count} 个事项写入发件箱，运行 yiwang federation deliver 投递。")
        )

    def _deliver(self, options: dict[str, Any]) -> None:
        deadline = time.monotonic() + options["seconds"] if options["seconds"] else None
        totals = {"delivered": 0, "retried": 0, "dead": 0}
        while True:
            report = outbox.deliver_due()
            for key, value in report.as_dict().items():
                totals[key] += value
            if not options["loop"]:
                break
            if not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists():
                break
            if deadline is not None and time.monotonic() > deadline:
                break
            if not report.delivered:
                time.sleep(1)
        self.stdout.write(
            f"送达 {totals['delivered']}，待重试 {totals['retried']}，转为死信 {totals['dead']}。"
        )

    def _retry_dead(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"已重新排队 {outbox.retry_dead()} 条死信。")

    def _stats_report(self, options: dict[str, Any]) -> None:
        from yiwang.federation import statistics

        try:
            rows = statistics.report(options["days"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已写入发件箱：{rows} 行统计（地区×日期）。")

    def _cross_resend(self, options: dict[str, Any]) -> None:
        from yiwang.federation import crossprovince

        self.stdout.write(f"已重新发送 {crossprovince.resend_statuses()} 个办件的状态。")

    def _sso_register(self, options: dict[str, Any]) -> None:
        from yiwang.federation import sso_trust

        peer = Peer.objects.filter(code=options["code"]).first()
        if peer is None:
            raise CommandError(f"节点 {options['code']} 尚未登记：请先运行 yiwang federation add-peer。")
        try:
            application, secret = sso_trust.register_client(peer, redirect_uris=options["redirect_uri"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            json.dumps({"client_id": application.client_id, "client_secret": secret}, ensure_ascii=False)
        )
        self.stderr.write(
            "密钥只显示这一次：请通过安全渠道交给对端运维人员，配置为其 YIWANG_HUB_OIDC_CLIENT_SECRET。"
        )

    def _publish_basic(self, options: dict[str, Any]) -> None:
        from yiwang.federation import basic

        if not identity.local_node().is_hub:
            raise CommandError("只有国家枢纽可以发布基本目录（YIWANG_NODE_ROLE=hub）。")
        count = basic.publish_basic()
        self.stdout.write(f"已为各节点写入基本目录 {count} 项，运行 yiwang federation deliver 投递。")

    def _claim_rate(self, options: dict[str, Any]) -> None:
        from yiwang.federation import basic

        if identity.local_node().is_hub:
            for row in basic.claim_rates():
                self.stdout.write(f"{row.node}\t{row.name}\t{row.claimed}/{row.national}\t{row.rate:.2f}%")
        else:
            local = basic.local_claims()
            self.stdout.write(f"已认领 {local['claimed']}/{local['national']} 项国家基本目录事项。")

    def _status(self, options: dict[str, Any]) -> None:
        for status in OutboxStatus:
            self.stdout.write(f"{status.label}：{OutboxMessage.objects.filter(status=status).count()}")
