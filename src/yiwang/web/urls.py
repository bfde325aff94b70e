from django.urls import path

from yiwang.web.views import bundles, guide, home, items, pending, power, preferences

app_name = "web"
urlpatterns = [
    path("", home.home, name="home"),
    path("search", items.search, name="search"),
    path("items", items.item_list, name="items"),
    path("items/<str:code>", guide.guide_page, name="guide"),
    path("items/<str:code>/print", guide.guide_print, name="guide_print"),
    path("items/<str:code>/materials/<int:index>/<str:kind>", guide.material_file, name="material_file"),
    path("items/<str:code>/result-sample", guide.result_sample, name="result_sample"),
    path("power-list", power.power_list, name="power_list"),
    path("power-list/<str:code>", power.power_item, name="power_item"),
    path("bundles", bundles.bundle_list, name="bundles"),
    path("bundles/<str:code>", bundles.bundle_page, name="bundle"),
    # Entry points the case-handling and appointment modules will take over (see views/pending.py).
    path("apply/<str:code>", pending.apply_online, name="apply"),
    path("appointments/new", pending.new_appointment, name="appointment_new"),
    path("preferences/elderly", preferences.toggle_elderly_mode, name="toggle_elderly"),
    path("preferences/region", preferences.switch_region, name="switch_region"),
]
