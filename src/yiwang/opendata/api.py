"""The opendata app's JSON API, mounted at /api/opendata/."""

from ninja import Router

router = Router(tags=["数据开放"])
