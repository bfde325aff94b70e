"""The reviews app's JSON API, mounted at /api/reviews/."""

from ninja import Router

router = Router(tags=["好差评"])
