"""The licences app's JSON API, mounted at /api/licences/."""

from ninja import Router

router = Router(tags=["电子证照"])
