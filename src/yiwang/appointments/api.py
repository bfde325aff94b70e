"""The appointments app's JSON API, mounted at /api/appointments/."""

from ninja import Router

router = Router(tags=["预约"])
