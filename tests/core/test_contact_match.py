"""The rule that matches typed names to the customer's contacts."""

from __future__ import annotations

from kam.core.contact_match import Candidate, match_names, name_key

PEOPLE = [
    Candidate(1, "José de Wit", "jose@klant.example"),
    Candidate(2, "Anna Bakker", ""),
    Candidate(3, "Jan Bos", "jan@klant.example"),
    Candidate(4, "Jan Bos", "j.bos@klant.example"),
]


def test_a_name_matches_without_case_accents_or_extra_spaces() -> None:
    result = match_names(["  jose   DE wit ", "ANNA BAKKER"], PEOPLE)
    assert result.matched == {"jose DE wit": 1, "ANNA BAKKER": 2}
    assert result.unmatched == []
    assert result.ids == [1, 2]


def test_an_address_matches_its_one_contact_whatever_the_case() -> None:
    result = match_names(["JOSE@Klant.example", "j.bos@klant.example"], PEOPLE)
    assert result.matched == {"JOSE@Klant.example": 1, "j.bos@klant.example": 4}


def test_a_part_of_a_name_an_unknown_address_or_a_shared_name_stays_unmatched() -> None:
    result = match_names(["Anna", "Jan Bos", "nobody@klant.example", "Anna Bakker"], PEOPLE)
    assert result.unmatched == ["Anna", "Jan Bos", "nobody@klant.example"]
    assert result.ids == [2]


def test_blanks_are_dropped_and_repeats_count_once() -> None:
    result = match_names(["", "Anna Bakker", "Anna Bakker", "Piet", "Piet"], PEOPLE)
    assert result.ids == [2]
    assert result.unmatched == ["Piet"]


def test_name_key() -> None:
    assert name_key("Zoë  Öztürk") == "zoe ozturk"
    assert name_key("Ångström") == name_key("angstrom")
