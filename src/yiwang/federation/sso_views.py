"""Sign in with an account held by a trusted peer (/federation/sso/…), and, on the provider side, the
identity release a registered peer calls after the OIDC flow. Thin views over federation.sso_trust."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from yiwang.accounts.signals import client_ip
from yiwang.federation import sso_trust
from yiwang.federation.identity import local_node


def _absolute(request: HttpRequest, path: str) -> str:
    """This node's public address (YIWANG_NODE_URL) when set: the redirect URI registered at the provider."""
    base = local_node().base_url
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("accounts:me")


def _refused(request: HttpRequest, error: sso_trust.TrustError, status: int = 400) -> HttpResponse:
    sso_trust.record_refusal(error, ip=client_ip(request) or None)
    context = {"error": error.message, "providers": sso_trust.trusted_providers()}
    return render(request, "federation/sso/refused.html", context, status=status)


@require_GET
def choose(request: HttpRequest) -> HttpResponse:
    """The trusted providers this node accepts (the hub first)."""
    context = {"providers": sso_trust.trusted_providers(), "next": request.GET.get("next", "")}
    return render(request, "federation/sso/choose.html", context)


@never_cache
@require_GET
def start(request: HttpRequest, code: str) -> HttpResponse:
    try:
        provider = sso_trust.provider_for(code)
    except sso_trust.TrustError as error:
        return _refused(request, error, status=404)
    url = sso_trust.begin(
        request.session,
        provider,
        redirect_uri=_absolute(request, reverse("federation:sso_callback")),
        next_url=_safe_next(request, request.GET.get("next")),
    )
    return HttpResponseRedirect(url)


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    try:
        assertion = sso_trust.finish(
            request.session,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
        )
        user, created = sso_trust.link_account(assertion)
        if not user.is_active:
            raise sso_trust.TrustError(_("您在本节点的账户已停用，请联系本节点管理员。"), "inactive")
    except sso_trust.TrustError as error:
        return _refused(request, error)
    request.yiwang_sign_in_method = f"federation:{assertion.provider.peer.code}"  # type: ignore[attr-defined]
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[sso_trust.SESSION_SIGNED_IN] = {
        "peer": assertion.provider.peer.code,
        "id_token": assertion.id_token,
    }
    sso_trust.record_sign_in(user, assertion, created=created, ip=client_ip(request) or None)
    if created:
        messages.success(
            request,
            _("已通过%(provider)s登录，并为您在本节点建立了账户，无需再次注册。")
            % {"provider": assertion.provider.label},
        )
    return HttpResponseRedirect(_safe_next(request, assertion.next_url))


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    """Sign out here and, for a federated sign-in, at the provider too (OIDC RP-initiated logout)."""
    federated: dict[str, Any] = dict(request.session.get(sso_trust.SESSION_SIGNED_IN) or {})
    logout(request)
    messages.success(request, _("您已安全退出。"))
    if federated:
        try:
            provider = sso_trust.provider_for(str(federated.get("peer", "")))
        except sso_trust.TrustError:
            return redirect("accounts:signin")
        return HttpResponseRedirect(
            sso_trust.end_session_url(
                provider,
                id_token=str(federated.get("id_token", "")),
                post_logout_redirect_uri=_absolute(request, reverse("accounts:signin")),
            )
        )
    return redirect("accounts:signin")


@never_cache
@require_GET
def identity(request: HttpRequest) -> JsonResponse:
    """Provider side: the full identity, for a registered peer's access token only (Bearer)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return JsonResponse({"error": _("缺少访问令牌。")}, status=401)
    try:
        data = sso_trust.release_identity(header.removeprefix("Bearer ").strip())
    except sso_trust.TrustError as error:
        return JsonResponse({"error": error.message, "code": error.code}, status=403)
    return JsonResponse(data)
