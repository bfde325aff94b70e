"""Pages for 跨省通办 (the applicant follows, the window forwards) and the hub's national statistics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.federation import crossprovince, identity, statistics
from yiwang.federation.cross_models import CrossCase, CrossDelivery, CrossMode
from yiwang.federation.models import NodeRole, Peer

PART_ROWS = 3
FILES_PER_PART = 2


def _form_data(text: str) -> dict[str, Any]:
    """`字段名=值` lines → the application form's values (the deciding node validates them)."""
    data: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "=" not in line:
            raise crossprovince.CrossError(
                _("申请表第 %(n)d 行应写成“字段名=值”，例如 address=杭州市西湖区文三路 1 号。")
                % {"n": number}
            )
        name, value = line.split("=", 1)
        data[name.strip()] = value.strip()
    return data


def _parts_from(request: HttpRequest, mode: str) -> list[crossprovince.PartRequest]:
    parts = []
    base = {
        "applicant_name": request.POST.get("applicant_name", "").strip(),
        "contact_phone": request.POST.get("contact_phone", "").strip(),
        "address": request.POST.get("address", "").strip(),
    }
    for index in range(1, PART_ROWS + 1):
        node = request.POST.get(f"node_{index}", "").strip()
        code = request.POST.get(f"code_{index}", "").strip()
        if not (node or code):
            continue
        if not (node and code):
            raise crossprovince.CrossError(
                _("第 %(n)d 个事项须同时选择办理地并填写实施编码。") % {"n": index}
            )
        files = []
        for slot in range(1, FILES_PER_PART + 1):
            upload = request.FILES.get(f"file_{index}_{slot}")
            material = request.POST.get(f"material_{index}_{slot}", "").strip()
            if upload is None:
                continue
            if not material:
                raise crossprovince.CrossError(
                    _("请填写文件“%(f)s”对应的材料名称（按办理地的材料清单）。") % {"f": upload.name}
                )
            files.append(
                crossprovince.MaterialFile(
                    material=material,
                    name=upload.name or "材料",
                    content_type=upload.content_type or "",
                    data=upload.read(),
                )
            )
        form = {k: v for k, v in base.items() if v}
        form.update(_form_data(request.POST.get(f"form_{index}", "")))
        parts.append(
            crossprovince.PartRequest(
                node=node,
                implementation_code=code,
                item_name=request.POST.get(f"name_{index}", "").strip(),
                form_data=form,
                files=files,
            )
        )
    return parts


@login_required
def cross_list(request: HttpRequest) -> HttpResponse:
    cases = list(crossprovince.cases_of(request.user)[:100])
    rows = [(case, crossprovince.overall_state(case)) for case in cases]
    return render(
        request,
        "federation/cross/list.html",
        {"rows": rows, "is_clerk": crossprovince._is_window_clerk(request.user)},
    )


@login_required
def cross_new(request: HttpRequest) -> HttpResponse:
    is_clerk = crossprovince._is_window_clerk(request.user)
    modes = [m for m in CrossMode if (m != CrossMode.ONLINE) == is_clerk]
    peers = Peer.objects.filter(active=True).exclude(role=NodeRole.HUB)
    error = ""
    if request.method == "POST":
        mode = request.POST.get("mode", "")
        try:
            if mode not in [m.value for m in modes]:
                raise crossprovince.CrossError(_("请选择可用的通办模式。"))
            cross = crossprovince.open_cross_case(
                mode=mode,
                actor=request.user,
                parts=_parts_from(request, mode),
                delivery=request.POST.get("delivery", ""),
                applicant_name=request.POST.get("applicant_name", ""),
                resident_id=request.POST.get("resident_id", ""),
                contact_phone=request.POST.get("contact_phone", ""),
                delivery_address=request.POST.get("delivery_address", ""),
            )
        except (ValidationError, PermissionDenied) as exc:
            error = "；".join(getattr(exc, "messages", [str(exc)]))
        else:
            return redirect("federation:cross_detail", reference=cross.reference)
    return render(
        request,
        "federation/cross/new.html",
        {
            "modes": modes,
            "peers": peers,
            "is_clerk": is_clerk,
            "deliveries": CrossDelivery.choices,
            "rows": range(1, PART_ROWS + (1 if is_clerk else -1)),
            "slots": range(1, FILES_PER_PART + 1),
            "error": error,
            "values": request.POST,
        },
        status=400 if error else 200,
    )


def _visible(request: HttpRequest, reference: str) -> CrossCase:
    cross = get_object_or_404(crossprovince.cases_of(request.user), reference=reference)
    return cross


@login_required
def cross_detail(request: HttpRequest, reference: str) -> HttpResponse:
    cross = _visible(request, reference)
    return render(
        request,
        "federation/cross/detail.html",
        {"cross": cross, "parts": list(cross.parts.all()), "overall": crossprovince.overall_state(cross)},
    )


@login_required
def cross_decision(request: HttpRequest, reference: str, part: str) -> FileResponse:
    cross = _visible(request, reference)
    row = get_object_or_404(cross.parts, reference=part)
    if not row.decision_document:
        raise Http404(_("办理地尚未发回决定文书。"))
    return FileResponse(
        row.decision_document.open("rb"), as_attachment=True, filename=f"decision-{row.remote_number}.pdf"
    )


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    try:
        end = dt.date.fromisoformat(request.GET.get("end", "")) if request.GET.get("end") else today
        start = (
            dt.date.fromisoformat(request.GET.get("start", ""))
            if request.GET.get("start")
            else end - dt.timedelta(days=29)
        )
    except ValueError:
        raise ValidationError(_("日期格式应为 YYYY-MM-DD。")) from None
    if end < start or (end - start).days > statistics.MAX_DAYS:
        raise ValidationError(_("统计期间不正确：开始日期应早于结束日期，且不超过 400 天。"))
    return start, end


def national_statistics(request: HttpRequest) -> HttpResponse:
    """On the hub: the figures every node reported, national totals first."""
    try:
        start, end = _period(request)
    except ValidationError as exc:
        return render(request, "federation/cross/statistics.html", {"error": exc.messages[0]}, status=400)
    return render(
        request,
        "federation/cross/statistics.html",
        {
            "start": start,
            "end": end,
            "is_hub": identity.local_node().is_hub,
            "totals": statistics.national(start=start, end=end),
            "nodes": statistics.by_node(start=start, end=end),
        },
    )


def statistics_api(request: HttpRequest) -> JsonResponse:
    """Rows per (node, region, day) for the assessment engine's platform collector."""
    try:
        start, end = _period(request)
    except ValidationError as exc:
        return JsonResponse(
            {"detail": exc.messages[0]}, status=400, json_dumps_params={"ensure_ascii": False}
        )
    node = request.GET.get("node", "").strip()[:6]
    region = request.GET.get("region", "").strip()[:6]
    rows = statistics.rows(start=start, end=end, node=node, region_prefix=region)
    return JsonResponse(
        {
            "start": f"{start:%Y-%m-%d}",
            "end": f"{end:%Y-%m-%d}",
            "fields": list(statistics.FIGURES),
            "totals": statistics.national(start=start, end=end),
            "nodes": statistics.by_node(start=start, end=end),
            "rows": [
                {
                    "node": row.node,
                    "region_code": row.region_code,
                    "day": f"{row.day:%Y-%m-%d}",
                    **{name: getattr(row, name) for name in statistics.FIGURES},
                }
                for row in rows[:20000]
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


urlpatterns = [
    path("", cross_list, name="cross_list"),
    path("new", cross_new, name="cross_new"),
    path("statistics", national_statistics, name="statistics"),
    path("statistics.json", statistics_api, name="statistics_api"),
    path("<uuid:reference>", cross_detail, name="cross_detail"),
    path("<uuid:reference>/parts/<uuid:part>/decision", cross_decision, name="cross_decision"),
]
