"""What every portal page needs: the site's name, the page language, elderly mode and the chosen region."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yiwang.core import inbox
from yiwang.web import preferences
from yiwang.web.text import romanised, short_region_name, to_traditional

# BCP 47 tags for the html lang attribute (Django's language codes are lower case).
HTML_LANG = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "en": "en"}
LANGUAGE_LABELS = (("zh-hans", "简体"), ("zh-hant", "繁體"), ("en", "English"))
SUPERVISION_HOTLINE = "12345"


def current_language() -> str:
    language = (get_language() or "zh-hans").lower()
    return language if language in HTML_LANG else "zh-hans"


def site_name() -> str:
    """一网·浙江政务服务网, named after the region this deployment serves, in the page's language."""
    region = preferences.home_region()
    if region is None:
        return _("一网·政务服务网")
    short = short_region_name(region.name)
    language = current_language()
    if language == "en":
        short = romanised(short)
    elif language == "zh-hant":
        short = to_traditional(short)
    return _("一网·%(region)s政务服务网") % {"region": short}


def portal(request: HttpRequest) -> dict[str, Any]:
    language = current_language()
    return {
        "site_name": site_name(),
        "html_lang": HTML_LANG[language],
        # Guide content stays Chinese in every language; mark it so screen readers read it as Chinese.
        "content_lang": "zh-Hant" if language == "zh-hant" else "zh-Hans",
        "portal_languages": [
            {"code": code, "label": label, "lang": HTML_LANG[code], "active": code == language}
            for code, label in LANGUAGE_LABELS
        ],
        "elderly_mode": preferences.is_elderly_mode(request),
        "chosen_region": preferences.chosen_region(request),
        "portal_is_national": preferences.is_national(),
        "current_path": request.get_full_path(),
        "supervision_hotline": SUPERVISION_HOTLINE,
        # Counted only when a page shows it (templates call it), once per request.
        "inbox_unread": functools.cache(lambda: inbox.unread_count(getattr(request, "user", None))),
        # The "sign in with the national platform" link shows only where this node trusts a hub.
        "federated_sign_in": bool(getattr(settings, "YIWANG_HUB_OIDC_CLIENT_ID", "")),
    }
