from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from yiwang.api import api
from yiwang.core import health

admin.site.site_header = "一网 · 管理后台"
admin.site.site_title = "一网管理后台"
admin.site.index_title = "目录与基础数据管理"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("yiwang.web.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
