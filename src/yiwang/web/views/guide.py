"""The guide page (办事指南) of one published item, its printable view and its file downloads."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from yiwang.catalog.flowchart import render_flowchart_svg
from yiwang.catalog.models import GuideVersion, Implementation, PublicStatus
from yiwang.catalog.selectors import get_published, withdrawal
from yiwang.web.views.errors import NotFound, gone

FILE_KINDS = ("blank_form", "sample")


def not_published(request: HttpRequest, code: str) -> HttpResponse:
    """No published guide under this code: 410 with when and why if it was withdrawn, else 404."""
    known = Implementation.objects.filter(implementation_code=code[:64]).first()
    if known is None or known.public_status != PublicStatus.WITHDRAWN:
        raise NotFound(
            _("没有实施编码为“%(code)s”的已发布事项。请检查编码，或用搜索查找。") % {"code": code[:64]}
        )
    last = withdrawal(known.pk) or {}
    return gone(
        request,
        name=last.get("name") or known.name,
        code=known.implementation_code,
        withdrawn_at=last.get("withdrawn_at"),
        reason=last.get("status_reason", ""),
    )


def load_published(request: HttpRequest, code: str) -> tuple[Implementation, GuideVersion] | HttpResponse:
    implementation = get_published(code) if len(code) <= 64 else None
    if implementation is None or implementation.published_version is None:
        return not_published(request, code)
    return implementation, implementation.published_version


def flowchart(guide: GuideVersion) -> str:
    guide = GuideVersion.objects.prefetch_related("steps", "special_procedures").get(pk=guide.pk)
    return mark_safe(render_flowchart_svg(guide))  # noqa: S308 (built with ElementTree: every text escaped)


def guide_context(implementation: Implementation, guide: GuideVersion) -> dict[str, Any]:
    doc: dict[str, Any] = guide.snapshot or {}
    materials = [
        {**material, "index": index, "has_files": bool(material.get("blank_form") or material.get("sample"))}
        for index, material in enumerate(doc.get("materials", []))
    ]
    return {
        "implementation": implementation,
        "guide": guide,
        "doc": doc,
        "materials": materials,
        "flowchart_svg": flowchart(guide) if doc.get("steps") else "",
        "deferrable_count": sum(1 for m in materials if m.get("necessity") == "deferrable"),
        "obtainable_count": sum(1 for m in materials if m.get("obtainable_by")),
    }


def guide_page(request: HttpRequest, code: str) -> HttpResponse:
    loaded = load_published(request, code)
    if isinstance(loaded, HttpResponse):
        return loaded
    return render(request, "web/guide.html", guide_context(*loaded))


def guide_print(request: HttpRequest, code: str) -> HttpResponse:
    loaded = load_published(request, code)
    if isinstance(loaded, HttpResponse):
        return loaded
    return render(request, "web/guide_print.html", guide_context(*loaded))


def _serve(path: str | None, label: str) -> FileResponse:
    if not path or not default_storage.exists(path):
        raise NotFound(_("“%(label)s”的文件暂未上传或已被移除，请向咨询电话询问。") % {"label": label})
    handle = default_storage.open(path, "rb")
    return FileResponse(handle, as_attachment=True, filename=path.rsplit("/", 1)[-1])


def material_file(request: HttpRequest, code: str, index: int, kind: str) -> HttpResponseBase:
    """A material's blank form or sample, only as the published guide lists it (no other path is served)."""
    loaded = load_published(request, code)
    if isinstance(loaded, HttpResponse):
        return loaded
    materials = (loaded[1].snapshot or {}).get("materials", [])
    if kind not in FILE_KINDS or not 0 <= index < len(materials):
        raise NotFound(_("该指南没有这个材料文件。"))
    material = materials[index]
    return _serve((material.get(kind) or {}).get("path"), material.get("name", ""))


def result_sample(request: HttpRequest, code: str) -> HttpResponseBase:
    loaded = load_published(request, code)
    if isinstance(loaded, HttpResponse):
        return loaded
    doc = loaded[1].snapshot or {}
    return _serve((doc.get("result_sample") or {}).get("path"), doc.get("result_name") or _("结果样本"))
