"""Applicant pages benchmark: the whole online application through the pages, and 我的办件 for a busy person.

    .venv/bin/python bench/web_apply_bench.py                         # 30 applications, 300 cases
    .venv/bin/python bench/web_apply_bench.py --applications 10 --cases 100   # a modest run

A fresh SQLite database under bench/results/web-apply-sqlite/ (recreated each run). Through Django's test
client (no network): --applications complete applications (start → form → upload one PDF → check → submit,
6 requests each), then one person with --cases filed cases opens the list, a case page and the API. Prints
a Markdown table: requests, seconds, requests per second and the slowest request per page kind.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _setup() -> None:
    data = ROOT / "bench" / "results" / "web-apply-sqlite"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    os.environ["YIWANG_DATA_DIR"] = str(data)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "tests"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(data / "sms.log")
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    from yiwang.core import calendar_data, workdays

    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()


class Timer:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)

    def call(self, kind: str, send: Any, *args: Any, expect: int = 200, **kwargs: Any) -> Any:
        started = time.perf_counter()
        response = send(*args, **kwargs)
        self.times[kind].append(time.perf_counter() - started)
        if response.status_code != expect:
            raise SystemExit(f"{kind}: expected {expect}, got {response.status_code}")
        return response


def run(applications: int, cases: int) -> list[tuple[str, int, float, float]]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from cases.case_factories import Office, applicant, filed_case, form_for, publish
    from yiwang.cases.models import Case

    office = Office()
    item = publish(office.organisation)
    timer = Timer()
    started = time.perf_counter()
    for number in range(applications):
        person = applicant()
        client = Client()
        client.force_login(person)
        code = item.implementation_code
        timer.call("start page", client.get, f"/apply/{code}")
        begun = timer.call(
            "begin", client.post, f"/apply/{code}/start", {"key": f"bench-{number:08d}"}, expect=302
        )
        draft = begun["Location"].rsplit("/", 2)[-2]
        form = {**form_for(person), "action": "continue"}
        timer.call("form", client.post, f"/apply/drafts/{draft}/form", form, expect=302)
        material = Case.objects.get(pk=draft).materials.get(name="建筑工程施工许可申请表")
        upload = {
            "op": "upload",
            "material": material.pk,
            "file": SimpleUploadedFile("a.pdf", PDF, "application/pdf"),
        }
        timer.call("upload", client.post, f"/apply/drafts/{draft}/materials", upload, expect=302)
        timer.call("check page", client.get, f"/apply/drafts/{draft}/check")
        timer.call("submit", client.post, f"/apply/drafts/{draft}/check", expect=302)
    flow_seconds = time.perf_counter() - started

    busy = applicant()
    for _ in range(cases):
        filed_case(item, busy)
    client = Client()
    client.force_login(busy)
    latest = Case.objects.filter(applicant=busy).order_by("-id").first()
    assert latest is not None
    for _ in range(20):
        timer.call("my cases list", client.get, "/my-cases")
        timer.call("case page", client.get, f"/my-cases/{latest.number}")
        timer.call("API my case", client.get, f"/api/cases/mine/{latest.number}")
    rows = [(kind, len(times), sum(times), max(times)) for kind, times in timer.times.items()]
    rows.append(("whole applications", applications, flow_seconds, 0.0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--applications", type=int, default=30, help="applications made through the pages")
    parser.add_argument("--cases", type=int, default=300, help="filed cases of the busy person")
    args = parser.parse_args()
    _setup()
    rows = run(args.applications, args.cases)
    print(f"\nApplicant pages, SQLite, {args.applications} applications, a person with {args.cases} cases\n")
    print("| page | requests | seconds | per second | slowest (ms) |")
    print("|---|---:|---:|---:|---:|")
    for kind, count, seconds, slowest in rows:
        rate = count / seconds if seconds else 0.0
        slow = f"{slowest * 1000:.0f}" if slowest else "—"
        print(f"| {kind} | {count} | {seconds:.2f} | {rate:.1f} | {slow} |")


if __name__ == "__main__":
    main()
