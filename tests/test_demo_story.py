"""The demo's story as data files (kam/demo/story/*.toml): the files ship with kam, the texts
shown translated stay translated, the people and channels they name exist, and the loaders
fill in what the files leave open. The demo itself is tested in tests/test_demo.py."""

from __future__ import annotations

import datetime as dt
import fnmatch
import tomllib
import types
from pathlib import Path

from django.utils import translation

import kam.demo
from kam.demo.data import story
from kam.demo.market import CHANNEL_WEIGHTS, COUNTRY_WEIGHTS, FOOD_SERVICE, ONLINE, RETAIL
from kam.demo.market import WHOLESALE as WHOLESALE_CHANNEL
from kam.demo.msgids import MSGIDS, story_msgids
from kam.demo.plans import _actions, _content
from kam.demo.team import PEOPLE, SELLERS

ROOT = Path(__file__).resolve().parent.parent
STORY = Path(kam.demo.__file__).parent / "story"


def test_every_story_file_is_packaged_with_kam() -> None:
    """A wheel of kam carries the story files: pyproject's package data for ``kam.demo``
    matches each of them (the loaders read them with importlib.resources)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["kam.demo"]
    files = sorted(p.relative_to(STORY.parent).as_posix() for p in STORY.iterdir())
    assert files, "no story files found"
    assert [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)] == []
    for path in STORY.iterdir():
        assert story(path.stem) == tomllib.loads(path.read_text(encoding="utf-8"))


def test_the_translated_story_texts_are_listed_for_the_catalogue() -> None:
    """makemessages cannot read TOML: kam.demo.msgids lists, word for word, every story text
    the demo translates (the people's labels, the start pages' story)."""
    assert story_msgids() == list(MSGIDS)


def test_the_demo_logins_and_the_start_story_are_shown_in_dutch() -> None:
    """Read from the story files, the labels and texts still find their Dutch."""
    with translation.override("nl"):
        labels = {p.username: str(p.label) for p in PEOPLE}
        sellers = {kind: str(s.label) for kind, s in SELLERS.items()}
        start = {m: translation.gettext(m) for m in story_msgids()[-3:]}
    assert labels["maarten"] == "Salesdirecteur (ziet en beoordeelt elk account)"
    assert sellers["field"] == "Buitendienst, onderhoudsaccounts"
    assert start["Shelf review with the category team"] == "Schapbespreking met het categorieteam"
    with translation.override("nl"):
        untranslated = [m for m in MSGIDS if translation.gettext(m) == m]
    assert untranslated == []


def test_everyone_the_story_names_is_a_demo_person() -> None:
    """The usernames in the story files (owners, raters, team members, action owners, the
    start pages' people) are people of team.toml."""
    people = {p.username for p in PEOPLE}
    team = story("team")
    named = {team["director"], team["group_kam"], team["online_kam"], *team["region_kam"].values()}
    teams = team["account_teams"]
    named |= {teams["key_rater"], teams["wholesale_maintenance_rater"], teams["rater"]}
    named |= set(teams["key_rater_by_channel"].values())
    for members in teams["by_box"].values():
        named |= {*members["core"], *members["surround"]}
    named |= set(story("activities")["opportunistic_chasers"])
    named |= {story("start")["manager"], story("start")["director"]}
    plans = story("plans")
    rows = [*plans["actions"], *plans["actions_last_year"], *plans["actions_food_service"].values()]
    named |= {owner for _what, owner, *_rest in rows if owner not in ("kam", "c0", "c1", "c2")}
    assert named - people == set()
    assert set(team["region_kam"]) == set(COUNTRY_WEIGHTS)


def test_the_market_names_the_channels_the_code_treats_apart() -> None:
    assert list(CHANNEL_WEIGHTS) == [RETAIL, WHOLESALE_CHANNEL, FOOD_SERVICE, ONLINE]
    market = story("market")
    for country in market["countries"].values():
        assert set(country["patterns"]) == set(CHANNEL_WEIGHTS)
    assert {g["channel"] for g in market["groups"]} <= set(CHANNEL_WEIGHTS)


def test_a_plan_s_texts_name_the_account_and_its_years() -> None:
    """The plan texts' {name}, {year} and {year_after_next} are the account's name and the
    plan's years; "kam" in the timetable is the account's key account manager."""
    account = types.SimpleNamespace(name="Kooiman Supermarkten")
    retail = _content("retail", account, 2026)  # type: ignore[arg-type]
    food = _content("food_service", account, 2026)  # type: ignore[arg-type]
    assert retail["summary"].startswith("Kooiman Supermarkten wants fewer out-of-stocks")
    assert "For 2026 we aim" in retail["summary"]
    assert "food waste by 2028" in food["customer_strategy"]
    assert not any("{" in str(v) for c in (retail, food) for v in c.values())
    assert len(retail["objectives"]) == 5 and len(retail["projects"]) == 2
    rows = _actions("food_service", dt.date(2026, 12, 7), "sanne")
    assert len(rows) == 14
    assert rows[0]["owner"] == "sanne" and rows[1]["owner"] == "pieter"
    assert rows[11]["what"] == "Choose ten pilot kitchens"
