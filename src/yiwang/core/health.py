"""Liveness (/healthz: the process answers) and readiness (/readyz: database and cache answer)."""

from __future__ import annotations

import time
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict[str, object]] = {}
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # readiness must report, not raise
        checks["database"] = {"ok": False, "error": exc.__class__.__name__}
    try:
        key = f"readyz:{uuid.uuid4().hex}"
        cache.set(key, "1", 5)
        ok = cache.get(key) == "1"
        cache.delete(key)
        checks["cache"] = {"ok": ok, "backend": cache.__class__.__name__}
    except Exception as exc:
        checks["cache"] = {"ok": False, "error": exc.__class__.__name__}
    ready = all(bool(check["ok"]) for check in checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "checks": checks,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    return JsonResponse(body, status=200 if ready else 503)
