"""The consent screen: django-oauth-toolkit's authorisation view, carrying the acting-as context."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from oauth2_provider.views import AuthorizationView

from yiwang.accounts import enterprises
from yiwang.sso.scopes import SCOPES


class SsoAuthorizationView(AuthorizationView):
    template_name = "oauth2_provider/authorize.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            acting = enterprises.acting_enterprise(request.session, request.user)
            # Read by YiwangValidator.save_authorization_code, which receives this same user object.
            request.user.yiwang_acting_enterprise_id = acting.pk if acting else None  # type: ignore[attr-defined]
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["scope_labels"] = [SCOPES.get(s, s) for s in (context.get("scopes") or [])]
        if self.request.user.is_authenticated:
            context["acting"] = enterprises.acting_enterprise(self.request.session, self.request.user)
        return context
