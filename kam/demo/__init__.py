"""The demo portfolio of Noordhoek Foods B.V. (``kam demo``; the story in ``kam.demo.load``).

The story -- names, companies, people, texts of plans, scores -- is in the data files of
``kam/demo/story/`` (read by ``kam.demo.data``); the loaders that draw and write it are the
modules of this package, one per subject. ``demo_load`` loads it all.
"""

from kam.demo.load import DEMO_ORGANISATION, DEMO_PASSWORD, DemoLogins, demo_load

__all__ = ["DEMO_ORGANISATION", "DEMO_PASSWORD", "DemoLogins", "demo_load"]
