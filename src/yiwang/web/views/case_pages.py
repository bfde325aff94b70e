"""Pieces the applicant's pages share: finding the person's own case, the enterprise they act for, and
taking an uploaded material or a 容缺 promise from a submitted form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from yiwang.accounts import enterprises
from yiwang.accounts.models import Enterprise
from yiwang.cases import selectors, services, uploads
from yiwang.cases.errors import CaseError
from yiwang.cases.models import Case, CaseMaterial
from yiwang.catalog import codes
from yiwang.catalog.models import GuideVersion
from yiwang.core.workdays import add_working_days
from yiwang.web.context_processors import current_language
from yiwang.web.views.errors import NotFound


def content(text: str) -> SafeString:
    """Published or user-entered Chinese inside an interface sentence, marked as Chinese for screen readers
    (and for the language checks): used in flash messages built in views."""
    lang = "zh-Hant" if current_language() == "zh-hant" else "zh-Hans"
    return format_html('<span lang="{}">{}</span>', lang, text)


def own_case(request: HttpRequest, ref: str) -> Case:
    """The signed-in person's case by number (or draft id); anyone else's is a 404 like a missing one."""
    case = selectors.my_case(request.user, ref[:20])
    if case is None:
        raise NotFound(_("没有找到您的办件“%(n)s”。请核对办件编号，或到“我的办件”查看。") % {"n": ref[:20]})
    return case


def own_draft(request: HttpRequest, case_id: int) -> Case:
    case = selectors.my_draft(request.user, case_id)
    if case is None:
        raise NotFound(_("没有找到这份申请草稿，它可能已提交或已撤回。请到“我的办件”查看。"))
    return case


def serves_enterprises(guide: GuideVersion) -> bool:
    objects = set(guide.service_objects or [])
    return bool(objects & codes.LEGAL_PERSON_OBJECTS)


def applying_enterprise(request: HttpRequest, guide: GuideVersion) -> Enterprise | None:
    """The enterprise the person applies for: the one they act for in this session, if the item serves
    enterprises at all."""
    if not serves_enterprises(guide):
        return None
    return enterprises.acting_enterprise(request.session, request.user)


def promise_latest(case: Case) -> dt.date:
    return add_working_days(timezone.localdate(), case.limit_days)


def promise_text(case: Case, material: CaseMaterial, due: dt.date) -> str:
    who = case.enterprise.name if case.enterprise_id and case.enterprise else str(case.applicant)
    return _(
        "本人（单位）%(who)s承诺：在 %(d)s 前补交“%(m)s”，所补交材料真实有效；逾期未补交或材料不符合要求的，"
        "愿意承担相应后果，包括已作出的决定被依法撤销。"
    ) % {"who": who, "d": f"{due:%Y-%m-%d}", "m": material.name}


def handle_material_post(request: HttpRequest, case: Case) -> tuple[dict[int, list[str]], str]:
    """An upload or a 容缺 promise for one material of `case`. Returns (errors by material id, success
    message); nothing is stored when there is an error."""
    try:
        material_id = int(request.POST.get("material", ""))
    except ValueError:
        return {0: [_("没有指明是哪一项材料，请在材料所在的行上传。")]}, ""
    material = case.materials.filter(pk=material_id).first()
    if material is None:
        return {0: [_("这份申请中没有这项材料，请刷新页面后重试。")]}, ""
    operation = request.POST.get("op", "upload")
    try:
        if operation == "defer":
            return _defer(request, case, material)
        return _upload(request, case, material)
    except (CaseError, uploads.UploadRejected) as exc:
        return {material.pk: [str(exc)]}, ""


def _upload(request: HttpRequest, case: Case, material: CaseMaterial) -> tuple[dict[int, list[str]], str]:
    upload = request.FILES.get("file")
    if upload is None:
        return {material.pk: [_("请选择要上传的“%(m)s”文件。") % {"m": material.name}]}, ""
    limit = uploads.max_bytes()
    if upload.size is not None and upload.size > limit:
        # Refuse before reading it: an oversized file is never held in memory.
        raise uploads.UploadRejected(
            _("文件“%(name)s”大小为 %(size).1f MB，超过 %(limit).0f MB 的上限，请压缩或分成几份后再上传。")
            % {"name": upload.name, "size": upload.size / 1048576, "limit": limit / 1048576}
        )
    services.upload_material(
        case,
        material,
        actor=request.user,
        name=str(upload.name or "file"),
        content_type=upload.content_type or "",
        data=upload.read(),
    )
    message = _("已上传“%(m)s”：%(f)s。") % {"m": content(material.name), "f": content(str(upload.name))}
    return {}, mark_safe(message)  # noqa: S308 (both parts escaped by format_html)


def _defer(request: HttpRequest, case: Case, material: CaseMaterial) -> tuple[dict[int, list[str]], str]:
    if request.POST.get("agree") != "1":
        return {material.pk: [_("请勾选“我已阅读并签署以上承诺”，才能选择容缺后补。")]}, ""
    try:
        due = dt.date.fromisoformat(request.POST.get("promise_due", "").strip())
    except ValueError:
        return {material.pk: [_("请填写承诺补交日期，格式如 2025-01-31。")]}, ""
    services.defer_material(
        case, material, actor=request.user, promise_text=promise_text(case, material, due), promise_due=due
    )
    message = _("已签署“%(m)s”的容缺承诺，请于 %(d)s 前补交。") % {
        "m": content(material.name),
        "d": f"{due:%Y-%m-%d}",
    }
    return {}, mark_safe(message)  # noqa: S308 (the name escaped by format_html)


def materials_context(case: Case, errors: dict[int, list[str]] | None = None) -> dict[str, Any]:
    latest = promise_latest(case)
    rows = []
    for material in selectors.materials_of(case):
        rows.append(
            {
                "material": material,
                "files": list(material.files.all()),
                "errors": (errors or {}).get(material.pk, []),
                "promise": promise_text(case, material, latest),
            }
        )
    return {
        "material_rows": rows,
        "general_errors": (errors or {}).get(0, []),
        "promise_latest": latest,
        "today": timezone.localdate(),
        "max_mb": uploads.max_bytes() // 1048576,
    }
