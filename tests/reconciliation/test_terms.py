"""Finding the names of controlled goods in free-text descriptions: whole words, any case,
accents ignored, singular and plural."""

import re
import unicodedata

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciliation.terms import COLUMNS, find_terms

TERMS = pd.DataFrame(
    [
        ("thionyl chloride", "281217", "1C350"),
        ("uranium oxide", "284410", "0C001"),
        ("uranium", "284410", "0C001"),
        ("depleted uranium", "284430", "0C001"),
        ("gas centrifuge", "840120", "0B001"),
        ("battery", "850760", "3A001"),
    ],
    columns=["term", "hs_code", "control_code"],
)


WIDE = "".join(chr(ord(c) + 0xFEE0) for c in "URANIUM") + " " + "".join(chr(ord(c) + 0xFEE0) for c in "OXIDE")


def found(*texts: str, terms: pd.DataFrame = TERMS) -> list[tuple]:
    """(text position, term, words) of every match."""
    result = find_terms(pd.Series(texts), terms)
    return list(result[["index", "term", "words"]].itertuples(index=False, name=None))


def test_a_term_is_found_in_any_case_with_its_codes_and_the_words_as_written():
    result = find_terms(pd.Series(["Industrial THIONYL CHLORIDE, 99%"]), TERMS)
    assert list(result.columns) == COLUMNS
    assert result.to_dict("records") == [
        {
            "index": 0,
            "term": "thionyl chloride",
            "hs_code": "281217",
            "control_code": "1C350",
            "words": "THIONYL CHLORIDE",
        }
    ]


def test_spaces_hyphens_and_punctuation_between_words_are_all_one_separator():
    assert found("thionyl-chloride", "Thionyl  Chloride", "thionyl/chloride (tech.)") == [
        (0, "thionyl chloride", "thionyl-chloride"),
        (1, "thionyl chloride", "Thionyl  Chloride"),
        (2, "thionyl chloride", "thionyl/chloride"),
    ]


def test_accents_and_other_forms_of_letters_are_ignored():
    assert found("Uránium oxide", "Ura\u0301nium oxide", WIDE) == [
        (0, "uranium oxide", "Uránium oxide"),
        (1, "uranium oxide", "Ura\u0301nium oxide"),
        (2, "uranium oxide", WIDE),
    ]


def test_the_last_word_may_be_in_the_plural():
    assert found("uranium oxides", "thionyl chlorides", "Gas centrifuges, used", "spare batteries") == [
        (0, "uranium oxide", "uranium oxides"),
        (1, "thionyl chloride", "thionyl chlorides"),
        (2, "gas centrifuge", "Gas centrifuges"),
        (3, "battery", "batteries"),
    ]


def test_a_term_written_in_ies_also_finds_its_singular():
    terms = pd.DataFrame({"term": ["batteries"], "hs_code": ["850760"], "control_code": ["3A001"]})
    assert found("one battery", terms=terms) == [(0, "batteries", "battery")]


def test_words_that_merely_contain_a_term_are_no_match():
    assert found("nonuranium alloy", "uraniumoxide", "thionylchloride", "centrifuge gas") == []


def test_the_words_of_a_term_in_another_order_or_apart_are_no_match():
    assert found("chlorides of thionyl", "oxide of uranium") == [(1, "uranium", "uranium")]
    assert found("thionyl or sulphuryl chloride") == []


def test_a_hyphen_separates_words_so_a_prefixed_term_is_still_named():
    assert found("pre-uranium residues") == [(0, "uranium", "uranium")]


def test_the_longest_term_at_a_place_is_taken_and_reading_goes_on_after_it():
    assert found("depleted uranium and uranium oxide") == [
        (0, "depleted uranium", "depleted uranium"),
        (0, "uranium oxide", "uranium oxide"),
    ]


def test_a_term_named_twice_in_one_text_is_one_row_with_its_first_words():
    assert found("Thionyl chloride drums; thionyl-chloride residue") == [(0, "thionyl chloride", "Thionyl chloride")]


def test_a_term_listed_under_two_codes_gives_a_row_for_each():
    terms = pd.concat([TERMS, pd.DataFrame([("uranium", "284430", "0C001")], columns=TERMS.columns)])
    result = find_terms(pd.Series(["uranium metal"]), terms)
    assert list(result[["term", "hs_code"]].itertuples(index=False, name=None)) == [
        ("uranium", "284410"),
        ("uranium", "284430"),
    ]


def test_rows_are_named_by_the_index_labels_of_the_texts():
    texts = pd.Series(["fresh fruit", "Uranium oxide", None, ""], index=["M1", "M2", "M3", "M4"])
    assert find_terms(texts, TERMS)["index"].tolist() == ["M2"]


def test_no_text_or_no_term_finds_nothing():
    assert find_terms(pd.Series([], dtype="str"), TERMS).empty
    nothing = find_terms(pd.Series(["thionyl chloride"]), TERMS.iloc[:0])
    assert nothing.empty and list(nothing.columns) == COLUMNS
    wordless = pd.DataFrame({"term": ["--"], "hs_code": ["281217"], "control_code": ["1C350"]})
    assert find_terms(pd.Series(["thionyl chloride --"]), wordless).empty


WORDS = ["thionyl", "chloride", "chlorides", "uranium", "Uránium", "oxide", "OXIDES", "gas", "centrifuge", "ß", "é"]
ODD = [" ", "-", "  ", ", ", "/", "\u00a0", "ﬁ", "½", "İ", "\u0301", "_", ""]
# No two of these terms share a word: each is found wherever its words stand together.
APART = TERMS[TERMS["term"].isin(["thionyl chloride", "uranium oxide", "gas centrifuge"])]


def named(text: str, term: str) -> bool:
    """Whether ``text`` holds ``term``'s words in a row, read the slow and obvious way."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.category(c).startswith("M"))
    words = [w for w in re.split(r"[\W_]+", folded.lower()) if w]
    *first, last = term.split()
    starts = range(len(words) - len(first))
    return any(words[i : i + len(first)] == first and words[i + len(first)] in (last, last + "s") for i in starts)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS + ODD), max_size=12).map("".join), min_size=1, max_size=20))
def test_every_text_holding_a_term_is_found_whatever_characters_surround_it(texts):
    result = find_terms(pd.Series(texts), APART)
    expected = {(i, term) for i, text in enumerate(texts) for term in APART["term"] if named(text, term)}
    assert set(result[["index", "term"]].itertuples(index=False, name=None)) == expected
