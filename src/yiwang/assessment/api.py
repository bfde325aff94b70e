"""The assessment app's JSON API, mounted at /api/assessment/."""

from ninja import Router

router = Router(tags=["能力评估"])
