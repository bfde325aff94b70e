"""Pluggable SMS gateway. Development and tests use the file gateway (data/sms-outbox.log) or the console.

Choose with YIWANG_SMS_GATEWAY: "file" (default), "console", or a dotted path to a class with
`send(phone, message)`. A production deployment plugs in its operator's gateway class.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("yiwang.sms")
_file_lock = threading.Lock()


class SmsGateway(Protocol):
    def send(self, phone: str, message: str) -> None: ...


def outbox_path() -> Path:
    configured = getattr(settings, "YIWANG_SMS_OUTBOX", None) or os.environ.get("YIWANG_SMS_OUTBOX")
    return Path(configured) if configured else Path(settings.DATA_DIR) / "sms-outbox.log"


class FileGateway:
    """Appends one JSON line per message, so codes can be read in development and tests."""

    def send(self, phone: str, message: str) -> None:
        line = json.dumps(
            {"at": timezone.now().isoformat(), "phone": phone, "message": message}, ensure_ascii=False
        )
        path = outbox_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock, path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


class ConsoleGateway:
    def send(self, phone: str, message: str) -> None:
        logger.warning("sms", extra={"phone": phone, "sms_message": message})
        print(f"[短信] {phone}: {message}", flush=True)


GATEWAYS = {"file": FileGateway, "console": ConsoleGateway}


def gateway() -> SmsGateway:
    name = getattr(settings, "YIWANG_SMS_GATEWAY", None) or os.environ.get("YIWANG_SMS_GATEWAY", "file")
    gateway_class: type = GATEWAYS.get(name) or import_string(name)
    instance: SmsGateway = gateway_class()
    return instance


def send(phone: str, message: str) -> None:
    gateway().send(phone, message)


def latest_code(phone: str, path: Path | None = None) -> str | None:
    """The last 6-digit code the file gateway sent to `phone` (development and tests only)."""
    path = path or outbox_path()
    if not path.exists():
        return None
    code = None
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["phone"] == phone and (match := re.search(r"(\d{6})", entry["message"])):
            code = match.group(1)
    return code
