"""The customer's org chart with our links drawn onto it, as a server-rendered SVG.

Positions come from ``kam.core.relationships.orgchart.org_chart_layout`` (the reports-to forest,
docs/method.md section 3); this module only draws: one box per contact, its border and
stripe in the colour of the contact's attitude, the buying roles under the title, and at
the foot of the box one disc per person of ours linked to the contact, shaded by the
link's strength. A decider or influencer without a medium or strong link has a red frame.
PNG export converts the same SVG with vl-convert-python's ``svg_to_png``.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.translation import gettext as _

from kam.core import relationships as core
from kam.core.cells import xml_safe
from kam.relationships.selectors import AccountData, ckey
from kam.web.choices import Attitude, BuyingRole

PITCH_X = 196
PITCH_Y = 100
BOX_W = 180
BOX_H = 78
MARGIN = 16
LEGEND_H = 64
#: The widest row of the chart, in boxes: 7 keeps 60 contacts readable at 100 % zoom.
COLUMNS = 7
FONT = "DejaVu Sans, Verdana, Segoe UI, Arial, sans-serif"

ATTITUDE_COLOURS = {
    Attitude.CHAMPION: "#1e7b4f",
    Attitude.SUPPORTER: "#2a9d8f",
    Attitude.NEUTRAL: "#9aa3ad",
    Attitude.CRITIC: "#e9a23b",
    Attitude.OPPONENT: "#b42318",
}
STRENGTH_FILL = {"strong": "#1f3a5f", "medium": "#4f86c6", "weak": "#c9d8ee"}
STRENGTH_TEXT = {"strong": "#fff", "medium": "#fff", "weak": "#1d2733"}
ROLE_SHORT = {
    BuyingRole.DECIDER: "D",
    BuyingRole.ECONOMIC_BUYER: "EB",
    BuyingRole.INFLUENCER: "I",
    BuyingRole.BUYER: "B",
    BuyingRole.GATEKEEPER: "G",
    BuyingRole.USER: "U",
    BuyingRole.INITIATOR: "In",
    BuyingRole.TECHNICAL_BUYER: "TB",
    BuyingRole.COACH: "C",
}


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:2].upper()
    return (parts[0][0] + parts[-1][0]).upper()


def org_chart_svg(d: AccountData, *, columns: int = COLUMNS) -> str:
    """The org chart of ``d``'s contacts (erased ones as 'Former contact #n') as SVG text."""
    contacts = {ckey(c.pk): c for c in d.contacts}
    core_contacts = [
        c for c in (d.account_map.contacts if d.account_map else []) if c.key in contacts
    ]
    nodes = core.org_chart_layout(core_contacts, max_width=max(2, columns))
    edges = core.org_chart_edges(nodes)
    names = {m.key: m.name for m in d.members}
    links: dict[str, list[core.Link]] = {}
    order = core.STRENGTH_ORDER
    for lk in d.links:
        if order[lk.strength] >= 1 and lk.ours in names:
            links.setdefault(lk.theirs, []).append(lk)
    uncovered = {
        f.subject for f in d.findings if f.kind == core.FindingKind.UNCOVERED_DECIDER and f.subject
    }
    cols = max((n.x for n in nodes), default=0.5) + 0.5
    rows = max((n.y for n in nodes), default=0.0) + 1
    width = int(max(cols * PITCH_X + 2 * MARGIN, 760))
    height = int(rows * PITCH_Y + 2 * MARGIN + LEGEND_H)

    def cx(x: float) -> float:
        return MARGIN + x * PITCH_X

    def cy(y: float) -> float:
        return MARGIN + LEGEND_H + (y + 0.5) * PITCH_Y

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" role="img" '
        f'aria-labelledby="orgchart-title">',
        '<title id="orgchart-title">'
        + escape(_("Org chart of %(account)s with our links") % {"account": d.account.name})
        + "</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    out.append(_legend(width))
    out.append('<g fill="none" stroke="#b7c2cf" stroke-width="1.5">')
    for e in edges:
        pts = " ".join(f"{cx(x):.1f},{cy(y):.1f}" for x, y in e.points)
        out.append(f'<polyline points="{pts}"/>')
    out.append("</g>")
    for n in nodes:
        c = contacts[n.key]
        out.append(_node(c, n, cx(n.x), cy(n.y), links.get(n.key, []), names, n.key in uncovered))
    if not nodes:
        empty = escape(_("No contacts yet."))
        out.append(
            f'<text x="{MARGIN}" y="{MARGIN + LEGEND_H + 20}" font-size="14" fill="#5b6775">'
            f"{empty}</text>"
        )
    out.append("</svg>")
    # A control character stored in a name would make the SVG invalid XML (and its PNG fail).
    return xml_safe("\n".join(out))


def _legend(width: int) -> str:
    parts = ['<g font-size="11" fill="#5b6775">']
    x = MARGIN
    y = MARGIN + 12
    heading = escape(_("Attitude to us"))
    parts.append(f'<text x="{x}" y="{y}" font-weight="600" fill="#1d2733">{heading}</text>')
    x += 100
    for attitude, colour in ATTITUDE_COLOURS.items():
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" rx="2" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}">{escape(str(attitude.label))}</text>')
        x += 22 + 7 * len(str(attitude.label))
    x = MARGIN
    y += 22
    our_links = escape(_("Our links"))
    parts.append(f'<text x="{x}" y="{y}" font-weight="600" fill="#1d2733">{our_links}</text>')
    x += 100
    for strength, label in (("strong", _("strong")), ("medium", _("medium")), ("weak", _("weak"))):
        parts.append(
            f'<circle cx="{x + 6}" cy="{y - 4}" r="7" fill="{STRENGTH_FILL[strength]}" '
            f'stroke="#1f3a5f" stroke-width=".6"/>'
        )
        parts.append(f'<text x="{x + 17}" y="{y}">{escape(label)}</text>')
        x += 30 + 7 * len(label)
    parts.append(
        f'<rect x="{x}" y="{y - 10}" width="14" height="12" rx="2" fill="none" stroke="#b42318" '
        f'stroke-width="2"/>'
    )
    uncovered = escape(_("decider or influencer without a medium or strong link"))
    parts.append(f'<text x="{x + 19}" y="{y}">{uncovered}</text>')
    x = MARGIN
    y += 20
    roles = " · ".join(
        f"{short} {str(BuyingRole(role).label).lower()}" for role, short in ROLE_SHORT.items()
    )
    roles_label = escape(_("Roles"))
    influence = escape(_("● influence, 1 to 5"))
    parts.append(f'<text x="{x}" y="{y}">{roles_label}: {escape(roles)} · {influence}</text>')
    parts.append("</g>")
    return "".join(parts)


def _node(
    c: object,
    n: core.Node,
    x: float,
    y: float,
    links: list[core.Link],
    names: dict[str, str],
    uncovered: bool,
) -> str:
    from kam.relationships.models import Contact

    assert isinstance(c, Contact)
    left = c.has_left or c.erased_at is not None
    colour = ATTITUDE_COLOURS.get(c.attitude, "#9aa3ad")
    x0, y0 = x - BOX_W / 2, y - BOX_H / 2
    title_lines = [c.display_name]
    if c.title:
        title_lines.append(c.title)
    if c.buying_roles:
        title_lines.append(", ".join(str(BuyingRole(r).label) for r in c.buying_roles))
    title_lines.append(
        _("Influence %(n)d of 5; attitude: %(a)s")
        % {"n": c.influence, "a": c.get_attitude_display()}
    )
    for lk in sorted(links, key=lambda lk: -core.STRENGTH_ORDER[lk.strength]):
        title_lines.append(f"{names[lk.ours]}: {_(str(core.STRENGTH_LABELS[lk.strength]))}")
    faded = ' opacity="0.55"' if left else ""
    parts = [f'<g class="node" data-contact="{c.pk}"{faded}>']
    parts.append(f"<title>{escape(chr(10).join(title_lines))}</title>")
    stroke = "#b42318" if uncovered else colour
    dash = ' stroke-dasharray="5 3"' if left else ""
    parts.append(
        f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="#fff" '
        f'stroke="{stroke}" stroke-width="{2.5 if uncovered else 1.4}"{dash}/>'
    )
    parts.append(
        f'<rect x="{x0:.1f}" y="{y0:.1f}" width="6" height="{BOX_H}" rx="3" fill="{colour}"/>'
    )
    tx = x0 + 13
    left_label = _("left")
    name = c.display_name + (f" ({left_label})" if c.has_left and c.erased_at is None else "")
    parts.append(
        f'<text x="{tx:.1f}" y="{y0 + 17:.1f}" font-size="12.5" font-weight="700" '
        f'fill="#1d2733">{escape(_cut(name, 24))}</text>'
    )
    parts.append(
        f'<text x="{tx:.1f}" y="{y0 + 32:.1f}" font-size="11" '
        f'fill="#5b6775">{escape(_cut(c.title, 28))}</text>'
    )
    roles = " ".join(ROLE_SHORT[BuyingRole(r)] for r in c.buying_roles if r in BuyingRole.values)
    meta = "  ".join(p for p in (roles, "●" * int(c.influence)) if p)
    parts.append(
        f'<text x="{tx:.1f}" y="{y0 + 47:.1f}" font-size="10.5" fill="#1f3a5f" '
        f'font-weight="600">{escape(meta)}</text>'
    )
    shown = sorted(links, key=lambda lk: (-core.STRENGTH_ORDER[lk.strength], names[lk.ours]))
    for i, lk in enumerate(shown[:6]):
        dx = tx + 8 + i * 19
        s = str(lk.strength)
        parts.append(
            f'<circle cx="{dx:.1f}" cy="{y0 + 63:.1f}" r="8.5" fill="{STRENGTH_FILL[s]}" '
            f'stroke="#1f3a5f" stroke-width=".6"/>'
            f'<text x="{dx:.1f}" y="{y0 + 66.5:.1f}" font-size="8.5" font-weight="700" '
            f'text-anchor="middle" '
            f'fill="{STRENGTH_TEXT[s]}">{escape(_initials(names[lk.ours]))}</text>'
        )
    if len(shown) > 6:
        parts.append(
            f'<text x="{tx + 8 + 6 * 19:.1f}" y="{y0 + 66.5:.1f}" font-size="10" '
            f'fill="#5b6775">+{len(shown) - 6}</text>'
        )
    if not shown and not left:
        no_link = escape(_("no link"))
        parts.append(
            f'<text x="{tx:.1f}" y="{y0 + 67:.1f}" font-size="10" fill="#b42318">{no_link}</text>'
        )
    parts.append("</g>")
    return "".join(parts)
