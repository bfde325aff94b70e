"""`yiwang licences expire [--date]` · `issue-missing` · `rotate-key USCC --reason …` · `verify IDENTIFIER`."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiwang.core.models import Organisation
from yiwang.licences import keys, services, verification
from yiwang.licences.errors import LicenceError


class Command(BaseCommand):
    help = "电子证照：expire 到期失效；issue-missing 补签发；rotate-key 更换机构签名密钥；verify 核验证照。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{expire,issue-missing,rotate-key,verify}"
        )
        expire = actions.add_parser("expire", help="将有效期已届满的证照置为已过期")
        expire.add_argument("--date", default=None, help="按哪一天判断（YYYY-MM-DD），默认今天")
        actions.add_parser("issue-missing", help="为已准予、结果为证照但尚未签发的办件补签发")
        rotate = actions.add_parser("rotate-key", help="更换机构的 SM2 签名密钥（旧签名仍可验证）")
        rotate.add_argument("uscc", help="机构统一社会信用代码")
        rotate.add_argument("--reason", required=True, help="更换原因")
        check = actions.add_parser("verify", help="按证照标识核验")
        check.add_argument("identifier")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "expire":
            today = None
            if options.get("date"):
                try:
                    today = dt.date.fromisoformat(options["date"])
                except ValueError:
                    raise CommandError("日期格式应为 YYYY-MM-DD，例如 2026-01-31。") from None
            self.stdout.write(f"已过期失效：{services.expire_due(today)} 本")
        elif action == "issue-missing":
            self.stdout.write(f"补签发：{services.issue_missing()} 本")
        elif action == "rotate-key":
            organisation = Organisation.objects.filter(uscc=options["uscc"].strip().upper()).first()
            if organisation is None:
                raise CommandError(f"没有统一社会信用代码为 {options['uscc']} 的机构。")
            try:
                key = keys.rotate(organisation, actor=None, reason=options["reason"])
            except LicenceError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"{organisation.name} 新签名密钥：{key.fingerprint}")
        else:
            result = verification.by_identifier(options["identifier"])
            self.stdout.write(result.verdict)
            for problem in result.problems:
                self.stdout.write(f"- {problem}")
