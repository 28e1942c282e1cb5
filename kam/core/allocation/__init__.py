"""Dividing time over all customers (docs/method.md section 2), one module per subject:

- ``curves``: response curves (ADBUDG, CALLPLAN) and their calibration from judgements;
- ``fit``: the least-squares curve through five judgements;
- ``problems``: the pool and team problems and the result with its certified gap;
- ``pool``: the pool solver (and the accounts on the hour grid both solvers use);
- ``team``: the team solver (people, functions, who may serve whom);
- ``solve``: ``allocate`` (either solver), the value of one more hour, the capacity what-if;
- ``policy``: the box policy's hours for the accounts without judgements.

Import from the module itself (``from kam.core.allocation.solve import allocate``).
docs/allocation.md gives the mathematics and the command line.
"""
