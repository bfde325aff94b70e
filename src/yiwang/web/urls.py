from django.urls import path
from django.views.generic import RedirectView

from yiwang.web.views import apply, bundles, guide, home, inbox, items, my_cases, power, preferences

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
    # Applying online: start page, then the draft's steps (views/apply.py).
    path("apply/<str:code>", apply.start, name="apply"),
    path("apply/<str:code>/start", apply.begin, name="apply_begin"),
    path("apply/drafts/<int:case_id>/situations", apply.situations, name="apply_situations"),
    path("apply/drafts/<int:case_id>/form", apply.form, name="apply_form"),
    path("apply/drafts/<int:case_id>/materials", apply.materials, name="apply_materials"),
    path("apply/drafts/<int:case_id>/check", apply.check, name="apply_check"),
    # 我的办件 (views/my_cases.py): `ref` is the case number, or a draft's id.
    path("my-cases", my_cases.case_list, name="my_cases"),
    path("my-cases/<str:ref>", my_cases.case_detail, name="my_case"),
    path("my-cases/<str:ref>/submitted", my_cases.submitted, name="case_submitted"),
    path("my-cases/<str:ref>/documents/<int:document_id>", my_cases.document, name="case_document"),
    path("my-cases/<str:ref>/materials", my_cases.case_materials, name="case_materials"),
    path("my-cases/<str:ref>/withdraw", my_cases.withdraw, name="case_withdraw"),
    path("messages", inbox.inbox, name="inbox"),
    path("messages/<int:message_id>", inbox.message, name="inbox_message"),
    path("messages/read-all", inbox.read_all, name="inbox_read_all"),
    path(
        "appointments/new",
        RedirectView.as_view(pattern_name="appointments:new", query_string=True),
        name="appointment_new",
    ),
    path("preferences/elderly", preferences.toggle_elderly_mode, name="toggle_elderly"),
    path("preferences/region", preferences.switch_region, name="switch_region"),
]
