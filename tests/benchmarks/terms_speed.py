"""Strategic terms in descriptions: time of ``find_terms`` with the shipped terms list over 100,000
and 1,000,000 descriptions, so that growth can be read off.

Descriptions are made of trade words, one in ten with accents, one in a thousand naming a
term (the usual case), then the same sizes where every description names one (the worst case:
each is read word by word). Run: `python tests/benchmarks/terms_speed.py [N ...]`.
"""

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from reconciliation.terms import find_terms

TERMS = Path(__file__).parents[2] / "fixtures" / "reference" / "terms.csv"
WORDS = [
    "fresh",
    "fruit",
    "motor",
    "spirit",
    "steel",
    "bars",
    "vanadium",
    "unwrought",
    "pressure",
    "transducers",
    "industrial",
    "chemicals",
    "sodium",
    "chloride",
    "pesticide",
    "fertiliser",
    "valves",
    "pumps",
    "aluminium",
    "tubes",
    "machine",
    "parts",
    "cotton",
    "fabric",
    "laptops",
    "acier",
    "inoxydable",
    "piñas",
    "café",
    "crème",
    "pièces",
    "détachées",
    "glaze",
    "gas",
    "cylinders",
]
NAMED = ["Thionyl chloride, technical grade", "Uránium oxides (U3O8)", "GAS-CENTRIFUGE spares", "sodium cyanide 98%"]


def descriptions(count: int, named_every: int, seed: int = 1) -> pd.Series:
    """``count`` descriptions of five words, every ``named_every``-th naming a term."""
    rng = np.random.default_rng(seed)
    words = np.array(WORDS, dtype=object)[rng.integers(0, len(WORDS), size=(count, 5))]
    texts = pd.Series([" ".join(row) for row in words], dtype="str")
    named = np.arange(0, count, named_every)
    texts.iloc[named] = [NAMED[i % len(NAMED)] + " " + texts.iloc[i] for i in named]
    return texts


def measure(count: int, named_every: int, terms: pd.DataFrame) -> None:
    texts = descriptions(count, named_every)
    start = time.perf_counter()
    found = find_terms(texts, terms)
    seconds = time.perf_counter() - start
    print(f"{count:>9,} descriptions, 1 in {named_every:>5,} naming a term: {seconds:6.2f} s, {len(found):>9,} found")


def main(sizes: list[int]) -> None:
    terms = pd.read_csv(TERMS, dtype=str)
    print(f"{len(terms)} terms from {TERMS.name}")
    for named_every in (1000, 1):
        for count in sizes:
            measure(count, named_every, terms)


if __name__ == "__main__":
    main([int(n) for n in sys.argv[1:]] or [100_000, 1_000_000])
