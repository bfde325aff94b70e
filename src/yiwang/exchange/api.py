"""The exchange app's JSON API, mounted at /api/exchange/."""

from ninja import Router

router = Router(tags=["数据共享"])
