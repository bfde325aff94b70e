"""`yiwang demo load`: everything a demonstration needs, idempotent and quick to repeat.

Loads the regions and the working-day calendar, imports the demo catalogue (catalog.demo), and creates
demo accounts: a superuser `admin` and, for a few departments, a catalogue editor and a reviewer.
Passwords come from YIWANG_DEMO_PASSWORD, or are generated once and kept in data/demo-accounts.txt
(never in the repository).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import secrets
import time
from argparse import ArgumentParser
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from yiwang.accounts.models import Membership, Role, User
from yiwang.core import audit

ACCOUNTS_FILE = "demo-accounts.txt"
STAFF_DEPARTMENTS = 3  # departments that get an editor and a reviewer


# Apps whose demo data the command loads itself, before the per-app hook.
_LOADED_ABOVE = frozenset({"yiwang.core", "yiwang.accounts", "yiwang.catalog"})


def _app_demo_modules() -> list[str]:
    names = []
    for app in settings.INSTALLED_APPS:
        if not app.startswith("yiwang.") or app in _LOADED_ABOVE:
            continue
        module_name = f"{app}.demo"
        if importlib.util.find_spec(module_name) is not None:
            module = importlib.import_module(module_name)
            if hasattr(module, "load_demo"):
                names.append(module_name)
    return names


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    organisation_uscc: str | None  # None: the superuser
    role: str | None
    description: str


class Command(BaseCommand):
    help = "演示数据：load 导入行政区划、工作日日历、演示事项目录和演示账号（可重复运行）。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{load}")
        actions.add_parser("load", help="导入或更新全部演示数据")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        self._regions()
        self._calendar()
        doc = self._catalogue()
        accounts = demo_accounts(doc)
        path = ensure_accounts(accounts)
        self._summary(path, time.monotonic() - started)
        # Identity demo (issue 4, accounts app): persons at each real-name level, an enterprise, staff roles.
        from yiwang.accounts.demo import load_demo_identities

        load_demo_identities(stdout=self.stdout)
        # Every later app that has demo data provides `yiwang.<app>.demo.load_demo(stdout=…)`, idempotent;
        # they run in INSTALLED_APPS order, which follows the architecture's layers (lower apps first).
        for module_name in _app_demo_modules():
            importlib.import_module(module_name).load_demo(stdout=self.stdout)

    def _regions(self) -> None:
        try:
            from yiwang.core.services import load_regions
        except ImportError:
            if "regions" not in get_commands():
                self.stderr.write("提示：尚无行政区划导入功能，已跳过。")
                return
            call_command("regions", "load", stdout=self.stdout)
            return
        total = load_regions()
        self.stdout.write(f"行政区划：{total} 条。")

    def _calendar(self) -> None:
        if "calendar" not in get_commands():
            self.stderr.write("提示：尚无工作日日历命令，已跳过。")
            return
        call_command("calendar", "seed", stdout=_Quiet())
        self.stdout.write("工作日日历：已写入。")

    def _catalogue(self) -> dict[str, Any]:
        from yiwang.catalog import exchange
        from yiwang.catalog.demo import build_document
        from yiwang.catalog.management.commands.catalog import import_with_progress

        doc = build_document()
        try:
            report = import_with_progress(doc)
        except exchange.ImportFailed as exc:
            for line in exc.report.errors:
                self.stderr.write(line)
            raise CommandError(f"演示事项目录导入失败：{len(exc.report.errors)} 个问题（见上）。") from None
        for line in report.summary_lines():
            self.stdout.write(line)
        return doc

    def _summary(self, accounts_path: Path, seconds: float) -> None:
        from yiwang.catalog.models import (
            Bundle,
            BundleStatus,
            GuideStatus,
            GuideVersion,
            Implementation,
            PublicStatus,
        )
        from yiwang.core.models import Organisation

        drafts = GuideVersion.objects.filter(status__in=[GuideStatus.DRAFT, GuideStatus.IN_REVIEW])
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据就绪（{seconds:.1f} 秒）：机构 {Organisation.objects.count()} 个，"
                f"已发布事项 {Implementation.objects.filter(public_status=PublicStatus.PUBLISHED).count()} 个，"
                f"草稿/审核中 {drafts.count()} 个（其中有质量问题 {drafts.exclude(quality_findings=[]).count()} 个），"
                f"已发布一件事 {Bundle.objects.filter(status=BundleStatus.PUBLISHED).count()} 个。"
            )
        )
        self.stdout.write(f"演示账号及密码见 {accounts_path}（管理后台：/admin/）。")


class _Quiet:
    """Swallows a sub-command's line-by-line output; the demo prints its own summary."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def demo_accounts(doc: dict[str, Any]) -> list[DemoAccount]:
    """`admin`, plus a catalogue editor and reviewer (catalog_editor1, catalog_reviewer1 …) for the first
    few departments that carry demo items (usernames follow accounts.demo's "{role}{number}" pattern)."""
    accounts = [DemoAccount("admin", "系统管理员", None, None, "超级管理员")]
    names = {org["uscc"]: org.get("short_name") or org["name"] for org in doc.get("organisations", [])}
    kinds = {org["uscc"]: org.get("kind", "department") for org in doc.get("organisations", [])}
    departments: list[str] = []
    for entry in doc.get("implementations", []):
        uscc = entry.get("organisation_uscc")
        if uscc in names and kinds.get(uscc) == "department" and uscc not in departments:
            departments.append(uscc)
        if len(departments) == STAFF_DEPARTMENTS:
            break
    for number, uscc in enumerate(departments, start=1):
        for role, label in ((Role.CATALOG_EDITOR, "事项编辑"), (Role.CATALOG_REVIEWER, "事项审核")):
            accounts.append(DemoAccount(f"{role.value}{number}", f"{names[uscc]}{label}", uscc, role, label))
    return accounts


def _read_passwords(path: Path) -> dict[str, str]:
    passwords: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and not line.startswith("#"):
                passwords[parts[0]] = parts[1]
    return passwords


def ensure_accounts(accounts: list[DemoAccount]) -> Path:
    """Create missing accounts and memberships; (re)set a password only when it is new or has changed."""
    from yiwang.core.models import Organisation

    path = Path(settings.DATA_DIR) / ACCOUNTS_FILE
    stored = _read_passwords(path)
    shared = os.environ.get("YIWANG_DEMO_PASSWORD", "")
    passwords = {a.username: shared or stored.get(a.username) or secrets.token_urlsafe(12) for a in accounts}
    organisations = {
        o.uscc: o for o in Organisation.objects.filter(uscc__in=[a.organisation_uscc for a in accounts])
    }
    with transaction.atomic():
        for account in accounts:
            user = User.objects.filter(username=account.username).first()
            password_changed = (
                account.username not in stored or stored[account.username] != passwords[account.username]
            )
            if user is None:
                user = User(
                    username=account.username,
                    display_name=account.display_name,
                    is_staff=True,
                    is_superuser=account.role is None,
                )
                user.set_password(passwords[account.username])
                user.save()
                audit.record(
                    actor=None,
                    action="accounts.demo_user.create",
                    object_type="accounts.user",
                    object_id=user.pk,
                    after={"username": user.username, "superuser": user.is_superuser},
                    summary=f"创建演示账号 {user.username}",
                )
            elif password_changed or not user.has_usable_password():
                user.set_password(passwords[account.username])
                user.save(update_fields=["password"])
            organisation = organisations.get(account.organisation_uscc or "")
            if account.role and organisation is not None:
                Membership.objects.get_or_create(user=user, organisation=organisation, role=account.role)
    if any(stored.get(a.username) != passwords[a.username] for a in accounts):
        _write_passwords(path, accounts, passwords, organisations)
    return path


def _write_passwords(
    path: Path, accounts: list[DemoAccount], passwords: dict[str, str], organisations: dict[str, Any]
) -> None:
    lines = [
        "# 一网演示账号（由 yiwang demo load 生成；仅用于演示，请勿用于生产）",
        "# 用户名\t密码\t角色\t机构",
    ]
    for account in accounts:
        organisation = organisations.get(account.organisation_uscc or "")
        lines.append(
            "\t".join(
                [
                    account.username,
                    passwords[account.username],
                    account.description,
                    organisation.name if organisation else "—",
                ]
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
