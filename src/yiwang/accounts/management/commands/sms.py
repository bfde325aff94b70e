"""`yiwang sms latest PHONE`: the last one-time code the development file gateway sent to a phone."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiwang.accounts import sms


class Command(BaseCommand):
    help = "开发用短信网关：latest 手机号 —— 显示发给该号码的最近一条验证码（data/sms-outbox.log）。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{latest}")
        latest = actions.add_parser("latest", help="最近一条验证码")
        latest.add_argument("phone")

    def handle(self, *args: Any, **options: Any) -> None:
        code = sms.latest_code(options["phone"])
        if code is None:
            raise CommandError(f"{sms.outbox_path()} 中没有发给 {options['phone']} 的验证码。")
        self.stdout.write(code)
