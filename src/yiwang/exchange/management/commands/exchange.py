"""`yiwang exchange …`: operator tasks of the data-sharing gateway.

yiwang exchange purge-nonces              forget request nonces older than the replay window
yiwang exchange issue-key USCC [--label]  a new SM2 key pair for an organisation (private key printed once)
yiwang exchange call --key-id ID --private-key HEX --resource CODE --fields a,b --subject ID --purpose TEXT
                                          sign and send one gateway request (to --url, default the local API)
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiwang.core.models import Organisation
from yiwang.exchange import services, signing

GATEWAY_PATH = "/api/exchange/gateway/query"


class Command(BaseCommand):
    help = "数据共享：purge-nonces 清理过期随机串；issue-key 生成接入密钥；call 发送一次签名请求。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{purge-nonces,issue-key,call}")
        actions.add_parser("purge-nonces", help="清理已超出防重放时间窗的随机串")
        issue = actions.add_parser("issue-key", help="为单位生成 SM2 接入密钥（私钥只显示一次）")
        issue.add_argument("uscc", help="单位的统一社会信用代码")
        issue.add_argument("--label", default="", help="密钥说明")
        call = actions.add_parser("call", help="签名并发送一次交换网关请求")
        call.add_argument("--url", default="http://127.0.0.1:8000", help="平台地址")
        call.add_argument("--key-id", required=True)
        call.add_argument("--private-key", required=True, help="SM2 私钥（64 位十六进制）")
        call.add_argument("--resource", required=True)
        call.add_argument("--fields", required=True, help="信息项代码，逗号分隔")
        call.add_argument("--subject", required=True, help="公民身份号码或统一社会信用代码")
        call.add_argument("--purpose", required=True)
        call.add_argument("--case-number", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "purge-nonces":
            self.stdout.write(f"已清理 {signing.purge_nonces()} 个过期随机串。\n")
        elif action == "issue-key":
            organisation = Organisation.objects.filter(uscc=options["uscc"].strip().upper()).first()
            if organisation is None:
                raise CommandError("没有该统一社会信用代码的单位。")
            credential, private_hex = services.issue_credential(
                actor=None, organisation=organisation, label=options["label"]
            )
            self.stdout.write(
                f"单位：{organisation.name}\n密钥标识：{credential.key_id}\nSM2 私钥（只显示这一次，请妥善保管）：{private_hex}\n"
            )
        else:
            self._call(options)

    def _call(self, options: dict[str, Any]) -> None:
        import httpx

        body = json.dumps(
            {
                "resource": options["resource"],
                "fields": [f.strip() for f in options["fields"].split(",") if f.strip()],
                "subject": options["subject"],
                "purpose": options["purpose"],
                "case_number": options["case_number"],
            },
            ensure_ascii=False,
        ).encode("utf-8")
        headers = signing.sign_headers(
            private_hex=options["private_key"],
            key_id=options["key_id"],
            method="POST",
            path=GATEWAY_PATH,
            body=body,
        )
        headers["Content-Type"] = "application/json"
        response = httpx.post(
            options["url"].rstrip("/") + GATEWAY_PATH, content=body, headers=headers, timeout=30
        )
        self.stdout.write(
            f"HTTP {response.status_code}\n{json.dumps(response.json(), ensure_ascii=False, indent=2)}\n"
        )
