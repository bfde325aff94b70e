"""Password rules with messages in the portal's own catalogues.

Django 5.2 reworded the minimum-length message (``%d`` instead of ``%(min_length)d``) and its Simplified
Chinese catalogue has not caught up, so Chinese-speaking users saw it in English. Our msgid is Chinese and
the portal's en and zh_Hant catalogues translate it.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import MinimumLengthValidator as DjangoMinimumLengthValidator
from django.utils.translation import gettext as _


class MinimumLengthValidator(DjangoMinimumLengthValidator):
    def get_error_message(self) -> str:
        return _("密码太短：至少需要%(n)d个字符，请加长后再提交。") % {"n": self.min_length}

    def get_help_text(self) -> str:
        return _("密码至少需要%(n)d个字符。") % {"n": self.min_length}
