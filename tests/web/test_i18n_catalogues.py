"""The translation catalogues: complete English, generated Traditional Chinese, compiled .mo up to date."""

from __future__ import annotations

import polib
from django.template import Context, Template
from django.utils import translation

from yiwang.web import i18n_tools
from yiwang.web.i18n_tools import Message


def test_catalogues_are_complete_and_compiled() -> None:
    """Fails when a new portal string lacks English or the .po/.mo lag the sources: run `yiwang i18n build`."""
    problems = i18n_tools.check()
    assert problems == [], "\n".join(map(str, problems))


def test_every_code_table_label_has_english() -> None:
    from yiwang.catalog import codes

    english = {e.msgid: e.msgstr for e in polib.pofile(str(i18n_tools.po_path("en")))}
    for table in (codes.ItemType, codes.OnlineDepth, codes.MaterialNecessity, codes.TimeUnit, codes.Audience):
        for _value, label in table.choices:
            assert english.get(str(label)), label


def test_traditional_catalogue_is_opencc_of_the_msgids() -> None:
    traditional = {e.msgid: e.msgstr for e in polib.pofile(str(i18n_tools.po_path("zh_Hant")))}
    assert traditional["申请材料"] == "申請材料"
    assert traditional["一网·%(region)s政务服务网"] == "一網·%(region)s政務服務網"


def test_extractor_reads_templates_like_django_does() -> None:
    source = (
        "{% load i18n %}{% translate \"办理地点\" %}{% trans '办理时间' %}"
        "{% blocktranslate with n=count %}共 {{ n }} 个事项{% endblocktranslate %}"
        "{% blocktranslate trimmed %}\n  两行\n  文字\n{% endblocktranslate %}"
        '{% translate "预约" context "按钮" %}{{ _("咨询电话") }}'
    )
    found = list(i18n_tools.messages_in_template(source))
    assert found == [
        Message("办理地点"),
        Message("办理时间"),
        Message("共 %(n)s 个事项"),
        Message("两行 文字"),
        Message("预约", context="按钮"),
        Message("咨询电话"),
    ]
    # The msgid Django looks up at run time is the one extracted.
    with translation.override("en"):
        rendered = Template(
            "{% load i18n %}{% blocktranslate with n=3 %}共 {{ n }} 个事项{% endblocktranslate %}"
        )
        assert rendered.render(Context()) == "3 services"


def test_extractor_reads_python_calls() -> None:
    source = (
        "from django.utils.translation import gettext as _, pgettext, ngettext\n"
        "a = _('甲' '乙')\n"
        'b = gettext_lazy("丙")\n'
        "c = pgettext('上下文', '丁')\n"
        "d = ngettext('一项', '多项', n)\n"
        "e = _(f'{x}不是常量')\n"
        "f = _(variable)\n"
    )
    assert list(i18n_tools.messages_in_code(source)) == [
        Message("甲乙"),
        Message("丙"),
        Message("丁", context="上下文"),
        Message("一项", plural="多项"),
    ]
