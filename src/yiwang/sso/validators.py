"""django-oauth-toolkit validator: Yiwang's claims, the enterprise context on tokens, staff-scope rule."""

from __future__ import annotations

import hashlib
from typing import Any

from oauth2_provider.models import AbstractApplication, get_access_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator

from yiwang.sso import claims
from yiwang.sso.models import TokenContext

ENTERPRISE_KEY = "_yiwang_enterprise"


def _checksum(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class YiwangValidator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, **claims.CLAIM_SCOPE}

    def validate_scopes(
        self, client_id: str, scopes: list[str], client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        # Staff roles go only to first-party department systems the platform trusts (no consent screen).
        application = request.client
        if "staff" in scopes and not (
            application.skip_authorization
            and application.client_type == AbstractApplication.CLIENT_CONFIDENTIAL
        ):
            return False
        return bool(super().validate_scopes(client_id, scopes, client, request, *args, **kwargs))

    def save_authorization_code(
        self, client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> None:
        enterprise_id = getattr(request.user, "yiwang_acting_enterprise_id", None)
        if enterprise_id:
            request.claims = {**(request.claims or {}), ENTERPRISE_KEY: enterprise_id}
        super().save_authorization_code(client_id, code, request, *args, **kwargs)

    def _enterprise_for(self, request: Any) -> int | None:
        if request.claims and request.claims.get(ENTERPRISE_KEY):
            return int(request.claims[ENTERPRISE_KEY])
        access_token = getattr(request, "access_token", None)
        if isinstance(access_token, get_access_token_model()):
            context = TokenContext.objects.filter(access_token=access_token).first()
            return context.enterprise_id if context else None
        return None

    def save_bearer_token(self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any) -> None:
        enterprise_id = self._enterprise_for(request)
        refresh = getattr(request, "refresh_token_instance", None)
        if enterprise_id is None and refresh is not None and refresh.access_token_id:
            context = TokenContext.objects.filter(access_token_id=refresh.access_token_id).first()
            enterprise_id = context.enterprise_id if context else None
        super().save_bearer_token(token, request, *args, **kwargs)
        if enterprise_id and token.get("access_token"):
            access = (
                get_access_token_model()
                .objects.filter(token_checksum=_checksum(token["access_token"]))
                .first()
            )
            if access is not None:
                TokenContext.objects.update_or_create(
                    access_token=access, defaults={"enterprise_id": enterprise_id}
                )

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        values: dict[str, Any] = claims.person_claims(user)
        values["enterprise"] = claims.enterprise_claim(user, self._enterprise_for(request))
        values["staff_roles"] = claims.staff_roles(user)
        return values
