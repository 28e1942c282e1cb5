"""kam's pure domain: the formulas of the KAM method on plain dataclasses and numpy arrays.

Nothing here imports Django, touches files or the network (a test proves it), so the
notebooks, the CLI and the web app share exactly the same arithmetic.
"""
