"""The interaction app's JSON API, mounted at /api/interaction/."""

from ninja import Router

router = Router(tags=["政民互动"])
