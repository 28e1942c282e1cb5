"""API endpoints of the users app."""

from ninja import Router

router = Router(tags=["users"])
