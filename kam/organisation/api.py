"""API endpoints of the organisation app."""

from ninja import Router

router = Router(tags=["organisation"])
