"""The demo portfolio of Noordhoek Foods B.V. (``kam demo``; the story in ``kam.demo.load``):
one package holding the loaders that were ``kam/demo.py`` and the apps' ``demo.py``
modules. ``demo_load`` loads it all."""

from kam.demo.load import DEMO_ORGANISATION, DEMO_PASSWORD, DemoLogins, demo_load

__all__ = ["DEMO_ORGANISATION", "DEMO_PASSWORD", "DemoLogins", "demo_load"]
