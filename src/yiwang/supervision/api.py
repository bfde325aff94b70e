"""The supervision app's JSON API, mounted at /api/supervision/."""

from ninja import Router

router = Router(tags=["效能监督"])
