"""Selectivity speed: a batch of customs items against a set of risk profiles, as at arrival.

Run: `python tests/benchmarks/selectivity_speed.py [ITEMS] [PROFILES]` (default 1,000 x 200).
Prints the time to give every item its channel (the evaluator ``reconciliation.profiles``, the
one runs use, with every kind of condition), best of five; exits 1 past one second.
"""

import random
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parents[2]))

from reconciliation.profiles import channels, hits

COUNTRIES = ["AE", "CN", "DE", "IN", "IR", "KP", "PK", "RU", "SY", "TR", "US", "GE", "AM", "KZ", "OM"]
GOODS = [("28121990", "thionyl chloride", "KGM"), ("29209090", "organophosphate pesticide", "KGM"),
         ("88073000", "UAV parts", "NAR"), ("81129200", "vanadium, unwrought", "KGM"),
         ("31021000", "urea fertiliser", "TNE"), ("27101241", "motor spirit", "LTR")]  # fmt: skip
DESTINATIONS = pd.DataFrame(
    [("IR", "EMBARGOED", "x"), ("KP", "EMBARGOED", "x"), ("SY", "EMBARGOED", "x"), ("SY", "HIGH", "x"),
     ("RU", "HIGH", "x"), ("PK", "ELEVATED", "x"), ("TR", "ELEVATED", "x")],
    columns=["country", "tier", "reason"],
)  # fmt: skip


def items(n: int, rng: random.Random) -> pd.DataFrame:
    rows = []
    for i in range(n):
        hs, text, unit = rng.choice(GOODS)
        removal = rng.random() < 0.6
        rows.append({
            "direction": "REMOVAL" if removal else "ADMISSION",
            "procedure": rng.choice(["RE_EXPORT", "TRANSIT", "HOME_USE", None]) if removal else None,
            "hs_code": hs, "destination_country": rng.choice(COUNTRIES) if removal else None,
            "intended_destination": None, "origin_country": None if removal else rng.choice(COUNTRIES),
            "operator_code": f"OP{rng.randint(1, 40):03d}", "aeo": "AEO-1" if rng.random() < 0.3 else None,
            "description": f"{text} lot {i}", "quantity": rng.randint(1, 20_000) * 1_000_000, "unit": unit,
            "lodged_at": pd.Timestamp("2026-01-01T00:00:00Z") + pd.Timedelta(minutes=rng.randint(0, 500_000)),
            "timezone": rng.choice(["Asia/Dubai", "Asia/Muscat"]), "strategic": rng.random() < 0.2,
        })  # fmt: skip
    return pd.DataFrame(rows)


def profiles(n: int, rng: random.Random) -> list[dict]:
    out = []
    for i in range(n):
        when = {"direction": rng.choice(["ADMISSION", "REMOVAL"])}
        optional = {
            "procedures": lambda: rng.sample(["RE_EXPORT", "TRANSIT", "HOME_USE"], 2),
            "hs_prefixes": lambda: [rng.choice(GOODS)[0][:4]],
            "strategic": lambda: rng.random() < 0.5,
            "destination_tiers": lambda: rng.sample(["EMBARGOED", "HIGH", "ELEVATED"], 2),
            "destinations": lambda: rng.sample(COUNTRIES, 3),
            "origins": lambda: rng.sample(COUNTRIES, 3),
            "operators": lambda: [f"OP{rng.randint(1, 40):03d}" for _ in range(3)],
            "aeo": lambda: False,
            "description_pattern": lambda: rng.choice(["(?i)pesticide|fertili[sz]er", r"chlorid\w*", "UAV|drone"]),
            "min_quantity": lambda: {"value": str(rng.randint(1, 10_000)), "unit": rng.choice(["KGM", "TNE", "LTR"])},
        }
        for name in rng.sample(sorted(optional), rng.randint(3, 6)):
            when[name] = optional[name]()
        out.append({"code": f"RP-{i:03d}", "title": "x", "severity": rng.choice(["LOW", "HIGH", "CRITICAL"]),
                    "channel": rng.choice(["RED", "YELLOW"]), "valid_from": None, "valid_until": None,
                    "when": when})  # fmt: skip
    return out


def main(n_items: int = 1_000, n_profiles: int = 200) -> float:
    rng = random.Random(16)
    batch, rules = items(n_items, rng), profiles(n_profiles, rng)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        answer = channels(hits(rules, batch, DESTINATIONS), batch.index)
        best = min(best, time.perf_counter() - start)
    spread = answer["channel"].value_counts().to_dict()
    print(f"{n_items:,} items x {n_profiles} profiles: {best:.3f} s (best of 5); channels {spread}")
    return best


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    sys.exit(0 if main(*args) < 1.0 else 1)
