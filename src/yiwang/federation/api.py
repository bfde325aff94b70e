"""The federation app's JSON API, mounted at /api/federation/."""

from ninja import Router

router = Router(tags=["全国一体化"])
