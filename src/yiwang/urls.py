from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from yiwang.api import api
from yiwang.core import health

admin.site.site_header = "一网 · 管理后台"
admin.site.site_title = "一网管理后台"
admin.site.index_title = "目录与基础数据管理"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # The CKAN Action API lives beside the ninja API: its paths must win over /api/.
    path("api/action/", include("yiwang.opendata.ckan_urls")),
    path("api/3/action/", include("yiwang.opendata.ckan_urls")),
    path("api/", api.urls),
    # Staff sign in through the account pages (password + TOTP), never the admin's password-only form.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:staff_signin", query_string=True)),
    path("admin/", admin.site.urls),
    path("account/", include("yiwang.accounts.urls")),
    path("o/", include("yiwang.sso.urls")),
    path("workbench/", include("yiwang.workbench.urls")),
    path("appointments/", include("yiwang.appointments.urls")),
    path("pay/", include("yiwang.payments.urls")),
    path("licences/", include("yiwang.licences.urls")),
    path("exchange/", include("yiwang.exchange.urls")),
    path("reviews/", include("yiwang.reviews.urls")),
    path("interaction/", include("yiwang.interaction.urls")),
    path("supervision/", include("yiwang.supervision.urls")),
    path("assessment/", include("yiwang.assessment.urls")),
    path("opendata/", include("yiwang.opendata.urls")),
    path("federation/", include("yiwang.federation.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("yiwang.web.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "yiwang.web.views.errors.bad_request"
handler403 = "yiwang.web.views.errors.permission_denied"
handler404 = "yiwang.web.views.errors.page_not_found"
handler500 = "yiwang.web.views.errors.server_error"
