"""The right person: contacts, team, contact matrix, coverage and stage (docs/method.md 3, 4).

Pure (no Django), one module per subject:

- ``vocabulary``: the codes (strength, attitude, buying role, stage, customer view, team
  role, finding kind) and their English labels, which the Django choices are built from;
- ``messages``: ``Message``, a user-facing sentence the web app translates;
- ``data``: contacts, team members, meetings, links and the ``AccountMap``;
- ``links``: the **contact matrix** (``derive_links``) from meetings;
- ``graph``: the map as a graph, shared by the findings and the stage (the bow-tie);
- ``coverage``: the **coverage findings** (``findings``, section 3);
- ``stage``: the **relationship stage** (``infer_stage``, section 3);
- ``positioning``: the **positioning warnings** (``positioning_warnings``, section 4);
- ``orgchart``: the **org chart layout** (``org_chart_layout``, ``org_chart_edges``).

This package re-exports the names its callers use, so that a caller can keep
``from kam.core import relationships as core`` beside the Django models of the same names
(``core.Contact`` and ``models.Contact``); new code may import from the module itself.
"""

from kam.core.relationships.coverage import Finding, findings
from kam.core.relationships.data import AccountMap, Contact, Link, Meeting, TeamMember
from kam.core.relationships.graph import bow_tie_pair
from kam.core.relationships.links import (
    DEFAULT_WINDOW_DAYS,
    HALF_YEAR_DAYS,
    contact_last_met,
    derive_links,
    half_year_counts,
    months_before,
    strength_for_rate,
)
from kam.core.relationships.messages import Message
from kam.core.relationships.orgchart import Edge, Node, org_chart_edges, org_chart_layout
from kam.core.relationships.positioning import positioning_warnings
from kam.core.relationships.stage import Marker, StageInference, infer_stage
from kam.core.relationships.vocabulary import (
    BOX_LABELS,
    COVERED_ROLES,
    CUSTOMER_VIEW_LABELS,
    DECIDING_ROLES,
    FUNCTION_LABELS,
    MARKER_LABELS,
    STAGE_LABELS,
    STAGE_RANK,
    STRENGTH_LABELS,
    STRENGTH_ORDER,
    Attitude,
    BuyingRole,
    CustomerView,
    FindingKind,
    Stage,
    Strength,
    TeamRole,
    function_label,
)

__all__ = [
    "BOX_LABELS",
    "COVERED_ROLES",
    "CUSTOMER_VIEW_LABELS",
    "DECIDING_ROLES",
    "DEFAULT_WINDOW_DAYS",
    "FUNCTION_LABELS",
    "HALF_YEAR_DAYS",
    "MARKER_LABELS",
    "STAGE_LABELS",
    "STAGE_RANK",
    "STRENGTH_LABELS",
    "STRENGTH_ORDER",
    "AccountMap",
    "Attitude",
    "BuyingRole",
    "Contact",
    "CustomerView",
    "Edge",
    "Finding",
    "FindingKind",
    "Link",
    "Marker",
    "Meeting",
    "Message",
    "Node",
    "Stage",
    "StageInference",
    "Strength",
    "TeamMember",
    "TeamRole",
    "bow_tie_pair",
    "contact_last_met",
    "derive_links",
    "findings",
    "function_label",
    "half_year_counts",
    "infer_stage",
    "months_before",
    "org_chart_edges",
    "org_chart_layout",
    "positioning_warnings",
    "strength_for_rate",
]
