"""`yiwang audit verify`: walk the SM3 hash chain of the audit log and report every break."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiwang.core import audit
from yiwang.core.models import AuditEntry


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链是否完整（完整时退出码为 0）。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{verify}")
        actions.add_parser("verify", help="校验审计链")

    def handle(self, *args: Any, **options: Any) -> None:
        problems = list(audit.verify_chain())
        if problems:
            for problem in problems:
                self.stderr.write(problem.message)
            raise CommandError(f"审计链不完整：发现 {len(problems)} 处问题（见上）。", returncode=2)
        self.stdout.write(f"审计链完整，共 {AuditEntry.objects.count()} 行。")
