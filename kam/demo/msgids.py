"""The demo's translated texts that live in the story files (``kam/demo/story/``).

``makemessages`` and tests/test_i18n.py read the code, not the story files, so every story
text that the demo passes through gettext is listed here with ``gettext_noop``, the same
English as in the file: the labels of the demo people and of the generated sellers
(``team.toml``, shown beside the demo logins) and what the start pages' story says
(``start.toml``). tests/test_demo_story.py checks that this list and the files agree.
"""

from django.utils.translation import gettext_noop

MSGIDS: tuple[str, ...] = (
    # team.toml: people
    gettext_noop("Sales director (sees and rates every account)"),
    gettext_noop("Key account manager, international customer groups"),
    gettext_noop("Key account manager, Netherlands and Belgium"),
    gettext_noop("Key account manager, Germany and Poland"),
    gettext_noop("Key account manager, United Kingdom and France"),
    gettext_noop("Key account manager, Nordics and online shops"),
    gettext_noop("Team member, supply chain"),
    gettext_noop("Team member, trade marketing"),
    gettext_noop("Team member, finance"),
    gettext_noop("Team member, R&D"),
    gettext_noop("Team member, customer service"),
    gettext_noop("Viewer (managing director, reads everything)"),
    gettext_noop("Administrator (users and settings)"),
    # team.toml: sellers
    gettext_noop("Key account manager, key and key development accounts"),
    gettext_noop("Field sales, maintenance accounts"),
    gettext_noop("Inside sales, opportunistic accounts (phone and video)"),
    # start.toml
    gettext_noop("We have started on this; our buyer wants to go through it with you first."),
    gettext_noop("Done; the samples went out on Friday."),
    gettext_noop("Shelf review with the category team"),
)


def story_msgids() -> list[str]:
    """The translated texts as the story files hold them, in the order of ``MSGIDS``."""
    from kam.demo.data import story

    team, start = story("team"), story("start")
    return [
        *(p["label"] for p in team["people"]),
        *(s["label"] for s in team["sellers"].values()),
        start["customer_comment"],
        start["colleague_comment"],
        start["meeting_topic"],
    ]
