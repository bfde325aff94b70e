"""Open-data portal pages: browse and search, the dataset page with preview and API snippet, downloads,
DCAT documents, the bulk metadata dump, API keys; and the publishing organisation's management pages.
Thin views over opendata.search, opendata.services and opendata.keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from yiwang.accounts import permissions
from yiwang.core.models import Organisation
from yiwang.core.ratelimit import client_address, hit
from yiwang.opendata import ckan, dcat, keys, licenses, search, serialise, services
from yiwang.opendata.models import Dataset, DatasetStatus, Resource, ResourceFormat, Theme, UpdateFrequency

PAGE_SIZE = 20


class _LazyResults:
    """What Paginator needs (count and slicing), running package_search for just the page shown."""

    def __init__(self, request: search.SearchRequest) -> None:
        self.request = request
        self._result: search.SearchResult | None = None

    def _run(self, start: int, rows: int) -> search.SearchResult:
        self.request.start, self.request.rows = start, rows
        self._result = search.search(self.request)
        return self._result

    def count(self) -> int:
        if self._result is None:
            self._run(0, 0)
        assert self._result is not None
        return self._result.count

    def __getitem__(self, index: slice) -> list[Dataset]:
        return self._run(index.start or 0, (index.stop or 0) - (index.start or 0)).datasets

    @property
    def facets(self) -> dict[str, list[tuple[str, int]]]:
        return self._result.facets if self._result else {}


def portal(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    theme = request.GET.get("theme", "").strip()
    organisation = request.GET.get("organization", "").strip()
    fmt = request.GET.get("format", "").strip()
    clauses = []
    if theme:
        clauses.append(f'groups:"{theme}"')
    if organisation:
        clauses.append(f'organization:"{organisation}"')
    if fmt:
        clauses.append(f'res_format:"{fmt}"')
    params = {
        "q": q,
        "fq": " ".join(clauses),
        "sort": "score desc, metadata_modified desc",
        "facet.field": '["groups","organization","res_format"]',
        "facet.limit": "12",
    }
    error = ""
    try:
        parsed = search.parse_request(params)
    except (search.SearchQueryError, search.SearchValidationError):
        parsed = search.parse_request({"facet.field": params["facet.field"], "facet.limit": "12"})
        error = _("搜索条件无法识别，已显示全部数据集。")
    results = _LazyResults(parsed)
    paginator: Paginator[Dataset] = Paginator(results, PAGE_SIZE)  # type: ignore[arg-type]
    page = paginator.get_page(request.GET.get("page"))
    labels = {
        "groups": dict(Theme.objects.values_list("name", "title")),
        "organization": ckan._facet_labels(
            "organization", [v for v, _n in results.facets.get("organization", [])]
        ),
    }
    facets = {
        name: [{"value": v, "label": labels.get(name, {}).get(v, v), "count": n} for v, n in counts]
        for name, counts in results.facets.items()
    }
    return render(
        request,
        "opendata/portal.html",
        {
            "q": q,
            "theme": theme,
            "organisation": organisation,
            "format": fmt,
            "page_obj": page,
            "datasets": list(page.object_list),
            "facets": facets,
            "themes": Theme.objects.all(),
            "error": error,
            "filtered": bool(q or clauses),
        },
    )


def _visible_dataset(request: HttpRequest, name: str) -> Dataset:
    dataset = get_object_or_404(
        Dataset.objects.select_related("organisation", "spatial").prefetch_related("themes", "resources"),
        name=name,
    )
    if dataset.status != DatasetStatus.PUBLISHED and not services.may_manage(
        request.user, dataset.organisation
    ):
        raise Http404
    return dataset


def dataset_page(request: HttpRequest, name: str) -> HttpResponse:
    dataset = _visible_dataset(request, name)
    base = serialise.site_url(request)
    resources = list(dataset.resources.all())
    preview = next((r for r in resources if r.preview), None)
    snippet_url = f"{base}/api/3/action/package_show?id={dataset.name}"
    return render(
        request,
        "opendata/dataset.html",
        {
            "dataset": dataset,
            "resources": resources,
            "preview": preview,
            "licence": licenses.BY_ID.get(dataset.license_id),
            "frequency": UpdateFrequency(dataset.update_frequency).label,
            "snippet_url": snippet_url,
            "python_snippet": (
                "from ckanapi import RemoteCKAN\n"
                f"site = RemoteCKAN({base!r})\n"
                f"dataset = site.action.package_show(id={dataset.name!r})\n"
                "for resource in dataset['resources']:\n"
                "    print(resource['name'], resource['url'])"
            ),
            "may_manage": services.may_manage(request.user, dataset.organisation),
        },
    )


def download(request: HttpRequest, name: str, uid: str) -> HttpResponseBase:
    dataset = _visible_dataset(request, name)
    resource = get_object_or_404(Resource, dataset=dataset, uid=uid)
    if not resource.file:
        return redirect(resource.url)
    suffix = resource.format.lower()
    response = FileResponse(resource.file.open("rb"), as_attachment=True, filename=f"{dataset.name}.{suffix}")
    response["Content-Type"] = resource.mimetype or "application/octet-stream"
    response["Digest"] = f"sha-256={resource.sha256}"
    return response


def dataset_rdf(request: HttpRequest, name: str, suffix: str) -> HttpResponse:
    dataset = _visible_dataset(request, name)
    data, content_type = dcat.serialise(dcat.dataset_graph(dataset, serialise.site_url(request)), suffix)
    return HttpResponse(data, content_type=content_type)


def catalogue_rdf(request: HttpRequest, suffix: str) -> HttpResponse:
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    published = Dataset.objects.filter(status=DatasetStatus.PUBLISHED)
    total = published.count()
    rows = (
        published.select_related("organisation", "spatial")
        .prefetch_related("themes", "resources")
        .order_by("name")[(page - 1) * dcat.PAGE_SIZE : page * dcat.PAGE_SIZE]
    )
    graph = dcat.catalogue_graph(
        rows, serialise.site_url(request), title=_("政务数据开放目录"), page=page, total=total
    )
    data, content_type = dcat.serialise(graph, suffix)
    return HttpResponse(data, content_type=content_type)


def dump(request: HttpRequest) -> HttpResponseBase:
    """Every published dataset's metadata, one CKAN package dict per line (JSON Lines), streamed."""
    decision = hit("opendata-dump", client_address(request), limit=10)
    if not decision.allowed:
        response = HttpResponse(
            _("批量下载每分钟最多 10 次，请稍后再试。"), status=429, content_type="text/plain; charset=utf-8"
        )
        response["Retry-After"] = str(decision.retry_after)
        return response
    base = serialise.site_url(request)

    def lines() -> Iterator[bytes]:
        published = Dataset.objects.filter(status=DatasetStatus.PUBLISHED).order_by("pk")
        last = 0
        while True:  # keyset pages, so memory stays flat however many datasets there are
            chunk = list(
                published.filter(pk__gt=last)
                .select_related("organisation", "spatial")
                .prefetch_related("themes", "resources")[:500]
            )
            if not chunk:
                return
            for dataset in chunk:
                yield (serialise.package_json(dataset, base) + "\n").encode("utf-8")
            last = chunk[-1].pk

    streaming = StreamingHttpResponse(lines(), content_type="application/x-ndjson; charset=utf-8")
    streaming["Content-Disposition"] = 'attachment; filename="opendata-datasets.jsonl"'
    return streaming


def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "opendata/terms.html")


@login_required
def api_keys(request: HttpRequest) -> HttpResponse:
    created_secret = ""
    error = ""
    if request.method == "POST":
        if request.POST.get("revoke"):
            try:
                keys.revoke_key(request.user, int(request.POST["revoke"]))
            except ValueError:
                error = _("要停用的密钥不存在。")
            else:
                return redirect("opendata:keys")
        else:
            try:
                _key, created_secret = keys.create_key(request.user, label=request.POST.get("label", ""))
            except ValueError as exc:
                error = str(exc)
    rows = request.user.opendata_keys.order_by("-created_at")  # type: ignore[union-attr]
    return render(
        request,
        "opendata/keys.html",
        {
            "keys": rows,
            "created_secret": created_secret,
            "error": error,
            "label": request.POST.get("label", ""),
        },
    )


# --- management (the publishing organisation's staff) ----------------------------------------------


def _managed_organisations(user: Any) -> list[Organisation]:
    queryset = Organisation.objects.filter(
        permissions.organisation_scope_q(user, services.MANAGERS)
    ).order_by("name")
    return list(queryset[:200])


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    organisations = _managed_organisations(request.user)
    if not organisations:
        raise PermissionDenied(_("只有机构的管理员或编辑人员可以管理开放数据。"))
    datasets = (
        Dataset.objects.filter(organisation__in=organisations)
        .select_related("organisation")
        .order_by("-modified_at")[:200]
    )
    return render(request, "opendata/manage.html", {"datasets": datasets, "organisations": organisations})


def _input_from(request: HttpRequest, organisations: list[Organisation]) -> services.DatasetInput:
    by_id = {str(o.pk): o for o in organisations}
    organisation = by_id.get(request.POST.get("organisation", ""))
    if organisation is None:
        raise ValidationError({"organisation": _("请选择发布机构。")})
    tags = [part for part in request.POST.get("tags", "").replace("，", ",").split(",") if part.strip()]
    return services.DatasetInput(
        name=request.POST.get("name", ""),
        title=request.POST.get("title", ""),
        notes=request.POST.get("notes", ""),
        organisation=organisation,
        license_id=request.POST.get("license_id", ""),
        themes=request.POST.getlist("themes"),
        tags=tags,
        update_frequency=request.POST.get("update_frequency", UpdateFrequency.IRREGULAR),
        temporal_start=request.POST.get("temporal_start") or None,
        temporal_end=request.POST.get("temporal_end") or None,
    )


def _errors(exc: ValidationError) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {field: "；".join(str(m) for m in messages) for field, messages in exc.message_dict.items()}
    return {"__all__": "；".join(exc.messages)}


@login_required
def dataset_form(request: HttpRequest, name: str | None = None) -> HttpResponse:
    organisations = _managed_organisations(request.user)
    if not organisations:
        raise PermissionDenied(_("只有机构的管理员或编辑人员可以管理开放数据。"))
    dataset = get_object_or_404(Dataset, name=name) if name else None
    if dataset is not None and not services.may_manage(request.user, dataset.organisation):
        raise PermissionDenied(_("只有本机构的管理员或编辑人员可以维护本机构的开放数据。"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            data = _input_from(request, organisations)
            if dataset is None:
                dataset = services.create_dataset(data, actor=request.user)
            else:
                dataset = services.update_dataset(dataset, data, actor=request.user)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("opendata:manage_dataset", name=dataset.name)
    values = request.POST if request.method == "POST" else None
    return render(
        request,
        "opendata/dataset_form.html",
        {
            "dataset": dataset,
            "organisations": organisations,
            "themes": Theme.objects.all(),
            "licences": licenses.choices(),
            "frequencies": UpdateFrequency.choices,
            "errors": errors,
            "values": values,
            "selected_themes": values.getlist("themes")
            if values is not None
            else ([t.name for t in dataset.themes.all()] if dataset else []),
        },
    )


@login_required
def manage_dataset(request: HttpRequest, name: str) -> HttpResponse:
    dataset = get_object_or_404(Dataset.objects.select_related("organisation"), name=name)
    if not services.may_manage(request.user, dataset.organisation):
        raise PermissionDenied(_("只有本机构的管理员或编辑人员可以维护本机构的开放数据。"))
    errors: dict[str, str] = {}
    message = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "upload":
                upload = request.FILES.get("file")
                fmt = request.POST.get("format", "")
                if fmt == ResourceFormat.API:
                    services.add_resource(
                        dataset,
                        actor=request.user,
                        name=request.POST.get("resource_name", ""),
                        format=fmt,
                        url=request.POST.get("url", ""),
                        description=request.POST.get("description", ""),
                    )
                else:
                    if fmt not in (ResourceFormat.CSV, ResourceFormat.XLSX, ResourceFormat.JSON):
                        raise ValidationError({"format": _("请选择文件格式。")})
                    services.add_resource(
                        dataset,
                        actor=request.user,
                        name=request.POST.get("resource_name", ""),
                        format=fmt,
                        data=upload.read() if upload else None,
                        description=request.POST.get("description", ""),
                    )
                message = _("资源已保存。")
            elif action == "publish":
                services.publish(dataset, actor=request.user)
                message = _("数据集已发布。")
            elif action == "withdraw":
                services.withdraw(dataset, actor=request.user, reason=request.POST.get("reason", ""))
                message = _("数据集已撤回。")
            elif action == "remove":
                resource = get_object_or_404(Resource, dataset=dataset, uid=request.POST.get("resource", ""))
                services.remove_resource(resource, actor=request.user)
                message = _("资源已删除。")
        except ValidationError as exc:
            errors = _errors(exc)
        dataset.refresh_from_db()
    return render(
        request,
        "opendata/manage_dataset.html",
        {
            "dataset": dataset,
            "resources": dataset.resources.all(),
            "formats": ResourceFormat.choices,
            "errors": errors,
            "message": message,
            "values": request.POST if errors else None,
        },
        status=400 if errors else 200,
    )
