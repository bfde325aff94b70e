"""Federation endpoints and pages: the signed inbox, this node's public card, the operators' view of
peers and the outbox (dead letters included), and the hub's list of every region's items."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from yiwang.accounts import permissions
from yiwang.federation import identity, inbox, outbox, search_index
from yiwang.federation.models import OutboxMessage, OutboxStatus, Peer, RemoteImplementation

SIGNATURE_HEADERS = ("X-Yiwang-Node", "X-Yiwang-Timestamp", "X-Yiwang-Signature")


@csrf_exempt
@require_POST
def receive(request: HttpRequest) -> JsonResponse:
    """Messages from peers: signed (SM2), time-stamped, applied once."""
    headers = {name: request.headers.get(name, "") for name in SIGNATURE_HEADERS}
    try:
        outcome = inbox.receive(method="POST", path=request.path, body=request.body, headers=headers)
    except inbox.Refused as exc:
        return JsonResponse(
            {"accepted": False, "detail": exc.message},
            status=exc.status,
            json_dumps_params={"ensure_ascii": False},
        )
    return JsonResponse({"accepted": True, "duplicate": outcome.duplicate, "result": outcome.result})


def card(request: HttpRequest) -> JsonResponse:
    """This node's code, role, address and public key, for registration at a peer."""
    if not identity.enabled():
        return JsonResponse({"detail": _("本部署未启用全国一体化（未设置 YIWANG_NODE_CODE）。")}, status=404)
    data: dict[str, object] = dict(identity.card())
    data["previous_keys"] = [k for k in inbox.known_public_keys() if k != data["public_key"]]
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def _require_operator(request: HttpRequest) -> None:
    if not (
        request.user.is_authenticated and (permissions.is_superuser(request.user) or request.user.is_staff)
    ):
        raise PermissionDenied(_("只有平台运维人员可以查看节点与消息投递情况。"))


def operations(request: HttpRequest) -> HttpResponse:
    _require_operator(request)
    counts = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("id")))
    peers = Peer.objects.annotate(
        pending=Count("outbox", filter=Q(outbox__status=OutboxStatus.PENDING)),
        dead=Count("outbox", filter=Q(outbox__status=OutboxStatus.DEAD)),
    )
    dead = (
        OutboxMessage.objects.filter(status=OutboxStatus.DEAD)
        .select_related("peer")
        .order_by("-created_at")[:100]
    )
    return render(
        request,
        "federation/operations.html",
        {
            "node": identity.local_node(),
            "enabled": identity.enabled(),
            "peers": peers,
            "counts": counts,
            "dead": dead,
            "pending": counts.get(OutboxStatus.PENDING, 0),
        },
    )


@require_POST
def retry(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_operator(request)
    if pk is not None:
        get_object_or_404(OutboxMessage, pk=pk)
    outbox.retry_dead([pk] if pk is not None else None, actor=request.user)
    return redirect("federation:operations")


def hub_catalogue(request: HttpRequest) -> HttpResponse:
    """On the hub: every region's published items, searchable by name and filtered by region."""
    q = request.GET.get("q", "").strip()[:50]
    region = request.GET.get("region", "").strip()[:6]
    items = RemoteImplementation.objects.filter(withdrawn=False)
    if q:
        items = items.filter(name__contains=q)
    if region.isdigit():
        items = items.filter(region_code__startswith=region.rstrip("0") or region)
    regions = (
        RemoteImplementation.objects.filter(withdrawn=False)
        .values("node")
        .annotate(n=Count("id"))
        .order_by("node")
    )
    page = Paginator(items.order_by("region_code", "name", "pk"), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "federation/catalogue.html",
        {"page_obj": page, "items": page.object_list, "q": q, "region": region, "regions": regions},
    )


def claims(request: HttpRequest) -> HttpResponse:
    """基本目录认领: on the hub every node's claim rate; on a node, which national items it implements."""
    from yiwang.federation import basic

    node = identity.local_node()
    if node.is_hub:
        return render(request, "federation/claims.html", {"hub": True, "rates": basic.claim_rates()})
    return render(request, "federation/claims.html", {"hub": False, "local": basic.local_claims()})


def hub_item(request: HttpRequest, code: str) -> HttpResponse:
    """On the hub: one region's item (the portal search links here), with a link to its guide at the node."""
    item = get_object_or_404(RemoteImplementation, implementation_code=code, withdrawn=False)
    portal = search_index.portal_items([search_index.document_id(item.pk)])
    entry = portal.get(search_index.document_id(item.pk))
    return render(request, "federation/item.html", {"item": item, "doc": item.document, "portal": entry})
