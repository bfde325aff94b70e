"""Trust levels of licences and approval documents used as case materials (国办发〔2018〕108号 via
domain.md §5): A issued by the implementing body and usable directly (electronic seal), B verified by
window staff and reusable, C uploaded by the user (original to be checked), D made by the user on a
promise of truthfulness."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TrustLevel(models.TextChoices):
    A = "A", _("A级：发证机关签发，加盖电子印章，可直接使用")
    B = "B", _("B级：窗口人员核验，可复用")
    C = "C", _("C级：申请人上传，须核验原件")
    D = "D", _("D级：申请人自制材料，申请人承诺真实")
