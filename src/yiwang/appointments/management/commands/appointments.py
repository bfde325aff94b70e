"""`yiwang appointments generate|no-shows`: open slots for the coming working days; mark no-shows."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yiwang.appointments import services
from yiwang.catalog.models import Implementation, PublicStatus
from yiwang.core.models import Organisation


class Command(BaseCommand):
    help = "预约：generate 生成号源；no-shows 将过时未到场的预约记为爽约。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{generate,no-shows}")
        generate = actions.add_parser("generate", help="为支持预约的事项生成未来若干工作日的号源")
        generate.add_argument("--days", type=int, default=10, help="工作日数，默认 10")
        generate.add_argument("--capacity", type=int, default=4, help="每个时段的号源数，默认 4")
        generate.add_argument("--item", default="", help="只为这个实施编码的事项生成")
        generate.add_argument(
            "--hall", type=int, default=None, help="在这个机构（大厅）办理，默认事项的实施机构"
        )
        actions.add_parser("no-shows", help="将时段结束后仍未到场的预约记为爽约")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "no-shows":
            self.stdout.write(f"记为爽约：{services.mark_no_shows()} 个预约。\n")
            return
        items = Implementation.objects.filter(
            public_status=PublicStatus.PUBLISHED, published_version__supports_appointment=True
        ).select_related("organisation")
        if options["item"]:
            items = items.filter(implementation_code=options["item"])
            if not items.exists():
                raise CommandError(f"没有实施编码为 {options['item']} 且支持预约的已发布事项。")
        hall = None
        if options["hall"] is not None:
            hall = Organisation.objects.filter(pk=options["hall"], is_active=True).first()
            if hall is None:
                raise CommandError(f"没有编号为 {options['hall']} 的有效机构。")
        created = 0
        count = 0
        for implementation in items.iterator():
            try:
                created += services.generate_slots(
                    hall or implementation.organisation,
                    implementation,
                    start=timezone.localdate(),
                    working_days=options["days"],
                    capacity=options["capacity"],
                )
            except services.AppointmentError as exc:
                raise CommandError(str(exc)) from None
            count += 1
        self.stdout.write(f"{count} 个事项，新生成号源 {created} 个。\n")
