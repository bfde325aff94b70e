"""The guide page shows every element of the published snapshot; print view; downloads; entry points."""

from __future__ import annotations

import re
from typing import Any

from web.portal_data import PortalCatalog


def guide_html(client: Any, item: Any, suffix: str = "") -> str:
    response = client.get(f"/items/{item.implementation_code}{suffix}")
    assert response.status_code == 200
    return str(response.content.decode())


def test_guide_renders_every_element_of_the_snapshot(client: Any, portal: PortalCatalog) -> None:
    html = guide_html(client, portal.permit)
    doc = portal.permit.published_version.snapshot
    # 基本信息
    for value in (
        doc["name"],
        doc["aliases"],
        doc["implementation_code"],
        doc["basic_code"],
        doc["competent_department"],
        doc["organisation"]["name"],
        doc["organisation"]["uscc"],
        doc["region"]["name"],
        doc["exercise_content"],
        "行政许可",
        "市级",
        "法定机关",
        "法定本级行使",
        "企业法人",
        "不通办",
        "承诺件",
    ):
        assert value in html, value
    assert 'href="/items?theme=ent-build"' in html
    assert doc["variants"][0]["code"] in html and "新办" in html
    # 设定依据, 受理条件
    assert doc["legal_basis"] in html
    assert doc["acceptance_conditions"] in html
    # 申请材料 with necessity, counts, form, source, 免提交 and downloads
    for material in doc["materials"]:
        assert material["name"] in html
    assert "容缺（可后补）" in html and "可调用电子证照" in html and "营业执照电子证照" in html
    assert "原件 1 份" in html and "复印件 1 份" in html and "纸质或电子" in html and "申请人自备" in html
    assert f'href="/items/{doc["implementation_code"]}/materials/0/blank_form"' in html
    assert "其中 1 项材料可通过数据共享或电子证照获取" in html
    # 办理流程 with the flowchart inline
    for step in doc["steps"]:
        assert step["name"] in html and step["role"] in html
    assert "<svg" in html and 'role="img"' in html
    # 特别程序 with whether it counts toward the limit
    assert (
        "专家评审" in html
        and "不计入（办结时限相应顺延）" in html
        and "《中华人民共和国行政许可法》第四十五条" in html
    )
    # 收费
    assert "证书工本费" in html and "每证10元" in html and "10.00" in html and "支持网上支付" in html
    # 办理时限 with units
    assert "20 个工作日" in html and "5 个工作日" in html
    # 办理方式, 网办深度, 到现场次数, 送达
    assert "Ⅳ级 全程网办" in html and "0 次" in html
    assert "窗口办理、电脑端网上办理、移动端网上申请、快递申请" in html
    assert "邮寄送达、电子送达" in html and doc["online_url"] in html
    # 地点, 时间, 咨询, 监督
    assert doc["place"] in html and doc["hours"] in html
    assert 'href="tel:0571-87001234"' in html and 'href="tel:0571-87009999"' in html
    # 结果 and 常见问题
    assert doc["result_name"] in html and "出证办结（证照）" in html
    assert f'href="/items/{doc["implementation_code"]}/result-sample"' in html
    assert doc["faqs"][0]["question"] in html and doc["faqs"][0]["answer"] in html


def test_guide_entry_points_follow_the_guide(client: Any, portal: PortalCatalog) -> None:
    online = guide_html(client, portal.permit)
    assert f'href="/apply/{portal.permit.implementation_code}"' in online
    assert "/appointments/new" not in online
    at_hall = guide_html(client, portal.id_card)
    assert "/apply/" not in at_hall
    assert f'href="/appointments/new?item={portal.id_card.implementation_code}"' in at_hall
    assert "本事项暂不支持网上办理" in at_hall


def test_guide_of_a_free_immediate_item_and_an_on_site_one(client: Any, portal: PortalCatalog) -> None:
    library = guide_html(client, portal.library_card)
    assert "<p><strong>不收费</strong></p>" in library
    assert "即办" in library and "即办件" in library
    id_card = guide_html(client, portal.id_card)
    assert "1 次" in id_card and "需现场采集人像和指纹信息" in id_card
    assert "不支持网上支付，请在办理地点缴费。" in id_card and "工本费" in id_card
    assert 'id="special"' not in id_card  # no special procedures: no empty section


def test_print_view_has_the_guide_without_navigation(client: Any, portal: PortalCatalog) -> None:
    html = guide_html(client, portal.permit, "/print")
    assert 'class="main-nav"' not in html and 'class="site-footer"' not in html
    assert 'href="/static/web/print.css" media="print"' in html
    assert "建筑工程施工许可申请表" in html and "<svg" in html
    assert 'data-action="print" hidden' in html  # the print button appears only with JavaScript


def test_downloads_serve_only_the_files_the_guide_lists(client: Any, portal: PortalCatalog) -> None:
    code = portal.permit.implementation_code
    blank = client.get(f"/items/{code}/materials/0/blank_form")
    assert blank.status_code == 200
    assert b"".join(blank.streaming_content) == b"%PDF-1.4 blank form"
    assert "attachment" in blank["Content-Disposition"]
    sample = client.get(f"/items/{code}/result-sample")
    assert sample.status_code == 200 and b"".join(sample.streaming_content) == b"%PDF-1.4 result sample"
    # A material without a file, an index out of range and an unknown kind are all "not found".
    assert client.get(f"/items/{code}/materials/1/blank_form").status_code == 404
    assert client.get(f"/items/{code}/materials/9/blank_form").status_code == 404
    assert client.get(f"/items/{code}/materials/0/passwd").status_code == 404


def test_pages_use_no_inline_script_or_style(client: Any, portal: PortalCatalog) -> None:
    """The CSP allows only our own static files: no inline <script>, <style> or style attribute anywhere."""
    for url in ("/", "/items", f"/items/{portal.permit.implementation_code}", "/power-list", "/bundles"):
        response = client.get(url)
        html = response.content.decode()
        assert "default-src 'self'" in response["Content-Security-Policy"]
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "<style" not in html and " style=" not in html, url


def test_apply_and_appointment_entry_points(client: Any, portal: PortalCatalog) -> None:
    # Online application is real (tests/web/test_apply_flow.py): the start page asks to sign in first.
    apply = client.get(f"/apply/{portal.permit.implementation_code}").content.decode()
    assert "登录后申请" in apply and "<form" not in apply.split("<main", 1)[1]
    # The guide's appointment link hands over to the appointments module (its own tests cover the page).
    code = portal.id_card.implementation_code
    appointment = client.get("/appointments/new", {"item": code})
    assert appointment.status_code == 302 and appointment["Location"] == f"/appointments/new/?item={code}"
