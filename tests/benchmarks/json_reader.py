"""JSON reader: time and peak memory for N and 2N objects, so that growth can be read off.

Each size is read in a fresh process. Two shapes: objects of the contract's keys (what
operators send), and objects each with a distinct stray key (refused at the first, so its cost
stays that of parsing). Run: `python tests/benchmarks/json_reader.py [N]` (default 20,000).
"""

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ftz.ingest.schema import MOVEMENTS


def generate(path: Path, objects: int, stray: bool) -> None:
    rows = []
    for n in range(objects):
        row = {"movement_ref": f"M{n}", "movement_type": "ADMISSION", "occurred_at": "2026-09-01T08:00:00",
               "lot_ref": f"L{n // 3}", "hs_code": "811292", "quantity": "1000.5", "unit": "KGM",
               "customs_ref": f"26AE{n:08d}", "origin_country": "KR"}  # fmt: skip
        if stray:
            row[f"stray_{n}"] = "x"
        rows.append(row)
    path.write_text(json.dumps(rows))


def measure(path: Path) -> None:
    """In a fresh process: read every chunk of ``path``; print seconds and peak RSS."""
    from ftz.errors import InvalidInput
    from ftz.ingest.readers import TableReader

    start = time.perf_counter()
    try:
        reader = TableReader(path, chunk_rows=50_000, xlsx_max_bytes=1 << 30, json_max_bytes=1 << 30,
                             columns=tuple(MOVEMENTS.names))  # fmt: skip
        cells = sum(chunk.cells.size for chunk in reader.chunks())
        outcome = f"{cells:,} cells"
    except InvalidInput as exc:
        outcome = f"refused: {str(exc)[:40]}…"
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{seconds:.3f} {peak:.0f} {outcome}")


def main() -> None:
    base = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as folder:
        for stray in (False, True):
            previous = None
            for objects in (base, 2 * base):
                path = Path(folder) / f"m{objects}{stray}.json"
                generate(path, objects, stray)
                out = subprocess.run([sys.executable, __file__, "--measure", str(path)], capture_output=True,
                                     text=True, check=True).stdout.split(maxsplit=2)  # fmt: skip
                seconds, peak, outcome = float(out[0]), out[1], out[2].strip()
                growth = f" (x{seconds / previous:.2f} for twice the input)" if previous else ""
                shape = "one stray key each" if stray else "contract keys"
                print(f"{objects:>9,} objects, {shape:<18} {path.stat().st_size / 1e6:6.1f} MB: "
                      f"{seconds:7.3f} s, peak {peak} MB, {outcome}{growth}")  # fmt: skip
                previous = seconds


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure(Path(sys.argv[2]))
    else:
        main()
