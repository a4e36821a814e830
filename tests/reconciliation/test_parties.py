"""Denied-party name matching (reconciliation.parties): listed parties found however written,
different companies sharing generic words not taken for them, odd input screened without a crash."""

import pandas as pd
import pytest

from reconciliation.parties import normalise, screen

ENTRIES = pd.DataFrame(
    {
        "entry_id": ["E1", "E2", "E3", "E4", "E5", "E6"],
        "name": [
            "Scientific Studies and Research Center", "Tamir Aerospace International Group",
            "Société Minière Ténéré SA", "KARIMI, Hossein Ali", "Korea Mining Development Trading Corporation",
            "Volgatek Special Alloys JSC",
        ],
        "aliases": [None, "TAIG", None, "Hossein A. Karimi", "KOMID;Changgwang Sinyong Corporation", "Volgatek"],
    }
)  # fmt: skip


def matched(name: str, threshold: float = 88) -> set[str]:
    hits = screen(pd.Series([name]), ENTRIES, threshold=threshold)
    return set(ENTRIES.loc[hits["entry"], "entry_id"])


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("Scientific Studies & Research Centre", "E1"),  # & for and, British spelling
        ("SCIENTIFIC STUDIES AND RESEARCH CENTER", "E1"),
        ("Research Center for Scientific Studies", "E1"),  # word order
        ("SOCIETE MINIERE TENERE S.A.", "E3"),  # accents, dotted legal form
        ("Hossein Ali Karimi", "E4"),  # a person, name order
        ("Хоссейн Али Карими", "E4"),  # Cyrillic, transliterated
        ("komid", "E5"),  # an alias
        ("Korea Mining Development Trading Corp.", "E5"),  # legal form and generic word
        ("Volgatek L.L.C.", "E6"),  # L.L.C. read as LLC, then dropped: the alias
        ("Volgatek Special Alloys Public Joint-Stock Company", "E6"),  # JSC written out
        ("Tamir Aerospace International Group Limited Liability Company", "E2"),  # LLC written out
        ("Volgatek AO", "E6"),  # the Russian joint-stock form
        ("\u0410\u041e \u0412\u043e\u043b\u0433\u0430\u0442\u0435\u043a", "E6"),  # the same, in Cyrillic
    ],
)
def test_a_listed_party_is_found_however_written(name, entry):
    assert entry in matched(name)


@pytest.mark.parametrize(
    "name",
    [
        "Sunrise International Trading LLC",  # shares "International" with E2 only
        "General Trading Company",  # generic words only: no party at all
        "Scientific Trading Co",  # one distinctive word of E1 is not E1
        "Tamir Logistics",  # one word of a longer entry
        "Volgatrek",  # one word each: only equality counts
    ],
)
def test_a_name_sharing_only_generic_or_too_few_words_matches_nothing(name):
    assert matched(name) == set()


def test_normalisation_drops_legal_forms_generic_words_and_punctuation():
    assert normalise("Zagros-Alborz International Trading F.Z.E.") == "alborz zagros"
    assert normalise("L.L.C.") == ""


def test_the_threshold_decides_how_far_a_spelling_may_differ():
    assert "E1" in matched("Scientific Studys and Reserch Centre", threshold=85)
    assert "E1" not in matched("Scientific Studys and Reserch Centre", threshold=97)


def test_a_name_of_ten_thousand_characters_or_control_characters_is_screened_without_a_crash():
    names = pd.Series(["A" * 10_000, "\x00\x07\x1b[31m", "Volgatek\x00 Special\r\nAlloys", "", None])
    hits = screen(names, ENTRIES)
    assert set(hits["index"]) == {2}
    assert hits["matched"].tolist() == ["Volgatek Special Alloys JSC"]


def test_what_matched_is_reported_with_the_score():
    hits = screen(pd.Series(["Scientific Studies & Research Centre"]), ENTRIES)
    row = hits.iloc[0]
    assert row["matched"] == "Scientific Studies and Research Center"
    assert 88 <= row["score"] < 100
    assert row["matched_words"] == "research scientific studies"


def test_words_of_a_legal_form_written_out_stay_where_they_are_no_legal_form():
    assert normalise("Volgatek Special Alloys Joint Stock Company") == "alloys special volgatek"
    assert normalise("Public Works Stock Exchange") == "exchange public stock works"
