"""Denied-party screening speed: N distinct party names against a list of E entries (each with
two aliases), as a run screens them, and one name searched as the parties page does.

Run: `python tests/benchmarks/screening_speed.py [N] [E]` (defaults 100,000 and 30,000). Prints
the time to index the list, to screen every name, the matches found, and the page's search
time (the list loaded with `ftz reference load parties` into a scratch SQLite database; the
first search builds the index, the next ones reuse it). Figures only: nothing is asserted.
"""

import csv
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from reconciliation.parties import index, screen

SYLLABLES = [
    "ka", "ro", "min", "tan", "zar", "pe", "lo", "vin", "sa", "dor", "kh", "al", "bar", "ne", "ya", "sun", "gri",
    "mo", "ha", "ri", "to", "jin", "ko", "ral", "ve", "qa", "sim", "ur", "el", "da", "bek", "nor", "li", "pa",
]  # fmt: skip
GENERIC = ["Trading", "General Trading", "International", "Group", "Industries", "Logistics", "Shipping", "Holding"]
FORMS = ["LLC", "Ltd", "FZE", "JSC", "Co.", "SA", "GmbH", ""]


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def company(rng: random.Random, words: int) -> str:
    return " ".join([*(word(rng) for _ in range(words)), rng.choice(GENERIC), rng.choice(FORMS)]).strip()


def entries(count: int) -> pd.DataFrame:
    rng = random.Random(15)
    rows = []
    for n in range(count):
        name = company(rng, rng.randint(2, 3))
        aliases = ";".join([company(rng, 2), " ".join(name.split()[:2])])
        rows.append({"entry_id": f"E{n:06d}", "name": name, "aliases": aliases, "kind": "ENTITY"})
    return pd.DataFrame(rows)


def names(count: int, listed: pd.DataFrame) -> pd.Series:
    """Distinct names: most made of the same vocabulary (they share words with entries), one
    in fifty a listed name written another way."""
    rng = random.Random(16)
    out: dict[str, None] = {}
    while len(out) < count:
        if len(out) % 50 == 0:
            name = listed["name"].iloc[rng.randrange(len(listed))].upper().replace(" ", "  ") + f" {len(out)}"
        else:
            name = company(rng, rng.randint(1, 3)) + f" {rng.randint(1, 999)}"
        out[name] = None
    return pd.Series(list(out))


def page_search(frame: pd.DataFrame) -> tuple[float, list[float]]:
    """The parties page's search on a scratch SQLite database holding the list: first, then warm."""
    folder = Path(tempfile.mkdtemp())
    os.environ["FTZ_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    os.environ["FTZ_DATA_DIR"] = str(folder / "data")
    from ftz.auth.scope import SYSTEM
    from ftz.database import get_engine
    from ftz.ingest import lists
    from ftz.migrations import upgrade
    from ftz.parties import service as parties

    engine = get_engine(os.environ["FTZ_DATABASE_URL"])
    upgrade(engine)
    path = folder / "parties.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(frame.columns))
        writer.writeheader()
        writer.writerows(frame.to_dict("records"))
    report = lists.load(engine, kind="parties", path=path, source="benchmark", loaded_by="bench")
    assert not report.errors, report.errors[:3]
    queries = [frame["name"].iloc[i].lower() for i in range(0, 2000, 100)]
    started = time.perf_counter()
    parties.screen(engine, caller=SYSTEM, name=queries[0])
    first = time.perf_counter() - started
    warm = []
    for query in queries:
        started = time.perf_counter()
        parties.screen(engine, caller=SYSTEM, name=query)
        warm.append(time.perf_counter() - started)
    return first, warm


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 30_000
    listed = entries(size)
    screened = names(count, listed)
    started = time.perf_counter()
    built = index(listed)
    indexed = time.perf_counter() - started
    started = time.perf_counter()
    hits = screen(screened, listed, built=built)
    took = time.perf_counter() - started
    print(f"list: {size:,} entries, {len(built.forms):,} names and aliases, indexed in {indexed:.1f} s")
    print(f"screened {count:,} distinct names in {took:.1f} s ({count / took:,.0f} names/s): "
          f"{hits['index'].nunique():,} names matched {len(hits):,} entries")  # fmt: skip
    first, warm = page_search(listed)
    print(f"page search: first {first * 1000:.0f} ms (loads and indexes the list), then median "
          f"{statistics.median(warm) * 1000:.1f} ms, max {max(warm) * 1000:.1f} ms over {len(warm)} names")  # fmt: skip


if __name__ == "__main__":
    main()
