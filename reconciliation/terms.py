"""Finding the names of controlled goods (the reference list ``terms``) in free-text descriptions.

A term matches as whole words, in any case, with accents ignored: texts and terms are read
after Unicode NFKD decomposition with the combining marks dropped, in lower case, and any run
of characters that are neither letters nor digits (spaces, hyphens, punctuation) separates
words, so "Thionyl-Chloride" and "thionyl  chloride" name "thionyl chloride". The last word
may also be in a regular English plural (-s; -es after s, x, z, ch, sh; -s or -es after o;
-ies for a consonant and -y, and back: a term written "batteries" also finds "battery"). A
word that merely contains a term ("nonuranium", "uraniumoxide") is no match; a hyphen
separates words, so "pre-uranium" holds the word "uranium". Where terms overlap, the longest
one at a place is taken and the text is read on after it.

The work is linear in the size of the texts. One pass of RE2 (through pyarrow, behind the
pandas ``str`` methods) over the whole column keeps the texts that hold a term somewhere;
only those are then read word by word in Python to tell which terms, and where. ASCII texts
(the usual case) are searched as they are; the others are folded first.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

COLUMNS = ["index", "term", "hs_code", "control_code", "words"]
# pyarrow-backed strings: their str methods run RE2 (linear time) over the whole column.
_ARROW = pd.StringDtype("pyarrow", na_value=np.nan)
_ASCII_WORD = re.compile(r"[a-z0-9]+")
# Runs of ASCII letters and digits and of any other character: ASCII punctuation and spaces
# always separate words, what lies between them is read character by character.
_RUN = re.compile("[0-9A-Za-z\x80-\U0010ffff]+")
_ASCII_SEPARATOR = "[^a-z0-9]"
_ES_AFTER = ("s", "x", "z", "ch", "sh")
# Alternatives per RE2 pattern: a long list of terms is searched in a few passes, each
# pattern small enough for RE2's memory budget.
_PER_PATTERN = 400


@dataclass(frozen=True)
class _Index:
    """The terms as sequences of folded words (each last word in its plural forms too)."""

    keys: dict[tuple[str, ...], list[int]]  # sequence -> the terms rows it stands for
    lengths: dict[str, list[int]]  # first word -> the lengths of its sequences, longest first
    ascii_patterns: list[str]  # RE2 searches of the ASCII sequences in lower-case ASCII text
    folded_patterns: list[str]  # RE2 searches of every sequence in folded text (words joined by one space)


def find_terms(texts: pd.Series, terms: pd.DataFrame) -> pd.DataFrame:
    """One row per text and terms row found in it: ``index`` (the text's label), ``term``,
    ``hs_code``, ``control_code`` and ``words`` (the words as the text writes them)."""
    index = _index(terms["term"].tolist())
    if not index.keys or texts.empty:
        return _empty()
    strings = texts.astype(_ARROW)
    candidates = _candidates(strings, index)
    found = [
        (position, row, words)
        for position, text in zip(candidates.tolist(), strings.iloc[candidates].tolist(), strict=True)
        for row, words in _matches(text, index)
    ]
    if not found:
        return _empty()
    positions, rows, words = (list(column) for column in zip(*found, strict=True))
    chosen = terms.iloc[rows]
    out = pd.DataFrame(
        {
            "index": texts.index[positions],
            "term": chosen["term"].to_numpy(),
            "hs_code": chosen["hs_code"].to_numpy(),
            "control_code": chosen["control_code"].to_numpy(),
            "words": words,
        }
    )
    # Keys are the text's position and the terms row: labels of ``texts`` need not be unique.
    first = ~pd.DataFrame({"position": positions, "row": rows}).duplicated().to_numpy()
    return out[first].reset_index(drop=True)


def words_of(text: str) -> list[tuple[str, int, int]]:
    """The words of ``text`` as terms are compared: (folded word, start, end in ``text``)."""
    if text.isascii():  # the usual case, and NFKD leaves ASCII as it is
        return [(m.group(), m.start(), m.end()) for m in _ASCII_WORD.finditer(text.lower())]
    words: list[tuple[str, int, int]] = []
    for run in _RUN.finditer(text):
        base = run.start()
        words += [(word, base + start, base + end) for word, start, end in _run_words(run.group())]
    return words


def plural_forms(word: str) -> set[str]:
    """The word and its regular English plural (or, for a word written in -ies, its singular)."""
    if not word[-1:].isalpha():
        return {word}
    if word.endswith("ies") and len(word) > 4:
        return {word, word[:-3] + "y"}
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return {word, word[:-1] + "ies"}
    if word.endswith("o"):  # both are regular: tornadoes, kilos
        return {word, word + "s", word + "es"}
    return {word, word + ("es" if word.endswith(_ES_AFTER) else "s")}


@lru_cache(maxsize=1 << 16)
def _run_words(run: str) -> tuple[tuple[str, int, int], ...]:
    """The words of a run of text between ASCII separators, character by character: a word is
    what folds to letters and digits. Descriptions repeat their words, so each is read once."""
    if run.isascii():
        return ((run.lower(), 0, len(run)),)
    words: list[tuple[str, int, int]] = []
    current: list[str] = []
    start = end = 0
    for position, char in enumerate(run):
        pieces = _fold(char)
        if not pieces and current:  # a combining mark belongs to the word it follows
            end = position + 1
        for piece, letter in pieces:
            if letter:
                start = start if current else position
                current.append(piece)
                end = position + 1
            elif current:
                words.append(("".join(current), start, end))
                current = []
    if current:
        words.append(("".join(current), start, end))
    return tuple(words)


@lru_cache(maxsize=1 << 16)
def _fold(char: str) -> tuple[tuple[str, bool], ...]:
    """One character as terms compare it (NFKD, combining marks dropped, lower case), each
    resulting character with whether it is a letter or digit."""
    kept = "".join(c for c in unicodedata.normalize("NFKD", char) if unicodedata.category(c)[0] != "M")
    return tuple((c, unicodedata.category(c)[0] in "LN") for c in kept.lower())


def _index(terms: list) -> _Index:
    """The terms' word sequences, and the RE2 searches that find the texts holding one."""
    keys: dict[tuple[str, ...], list[int]] = {}
    for row, term in enumerate(terms):
        words = [w for w, _, _ in words_of(term)] if isinstance(term, str) else []
        if not words:
            continue  # a term with no letter or digit names nothing
        for last in plural_forms(words[-1]):
            keys.setdefault((*words[:-1], last), []).append(row)
    lengths: dict[str, set[int]] = {}
    for key in keys:
        lengths.setdefault(key[0], set()).add(len(key))
    # Folded words hold letters and digits only: nothing in them needs escaping.
    ascii_keys = sorted(f"{_ASCII_SEPARATOR}+".join(key) for key in keys if all(w.isascii() for w in key))
    return _Index(
        keys,
        {word: sorted(n, reverse=True) for word, n in lengths.items()},
        _patterns(ascii_keys, f"(?:^|{_ASCII_SEPARATOR})", f"(?:$|{_ASCII_SEPARATOR})"),
        _patterns(sorted(" ".join(key) for key in keys), " ", " "),
    )


def _patterns(alternatives: list[str], before: str, after: str) -> list[str]:
    """``before (a|b|…) after``, in as many patterns as RE2's budget needs."""
    return [
        before + "(?:" + "|".join(alternatives[i : i + _PER_PATTERN]) + ")" + after
        for i in range(0, len(alternatives), _PER_PATTERN)
    ]


def _candidates(strings: pd.Series, index: _Index) -> np.ndarray:
    """The positions of the texts that hold a term somewhere: every text the word-by-word
    reading matches, since both fold alike (NFKD, no marks, lower case, words apart)."""
    present = strings.notna().to_numpy(dtype=bool)
    plain = present & strings.str.isascii().fillna(False).to_numpy(dtype=bool)
    hit = np.zeros(len(strings), dtype=bool)
    hit[plain] = _any(strings[plain].str.lower(), index.ascii_patterns)
    other = present & ~plain
    if other.any():
        folded = (
            strings[other]
            .str.normalize("NFKD")
            .str.replace(r"\p{M}+", "", regex=True)
            .str.lower()
            .str.replace(r"[^\p{L}\p{N}]+", " ", regex=True)
        )
        hit[other] = _any(" " + folded + " ", index.folded_patterns)
    return np.flatnonzero(hit)


def _any(texts: pd.Series, patterns: list[str]) -> np.ndarray:
    """Whether each text matches one of the patterns."""
    hit = np.zeros(len(texts), dtype=bool)
    for pattern in patterns:
        hit |= texts.str.contains(pattern, regex=True).fillna(False).to_numpy(dtype=bool)
    return hit


def _matches(text: str, index: _Index) -> list[tuple[int, str]]:
    """(terms row, words as written) for each term found in ``text``, longest first, left to right."""
    words = words_of(text)
    folded = [w for w, _, _ in words]
    found, i = [], 0
    while i < len(words):
        for n in index.lengths.get(folded[i], ()):
            rows = index.keys.get(tuple(folded[i : i + n])) if i + n <= len(words) else None
            if rows:
                written = text[words[i][1] : words[i + n - 1][2]]
                found += [(row, written) for row in rows]
                i += n
                break
        else:
            i += 1
    return found


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
