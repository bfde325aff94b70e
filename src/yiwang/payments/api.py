"""The payments app's JSON API, mounted at /api/payments/."""

from ninja import Router

router = Router(tags=["统一支付"])
