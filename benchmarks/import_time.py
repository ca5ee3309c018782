"""How long `import minidl` takes in a fresh interpreter, against `import numpy` (its one
dependency) measured the same way in this run. Target: under 0.3 s.

    python benchmarks/import_time.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import subprocess
import sys


def best_import_seconds(module: str, repeat: int) -> float:
    """Fastest of `repeat` fresh interpreters, timing only the import statement itself."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(repeat)]
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    numpy_seconds = best_import_seconds("numpy", args.repeat)
    minidl_seconds = best_import_seconds("minidl", args.repeat)
    verdict = "meets" if minidl_seconds < 0.3 else "misses"
    print(f"import numpy:  {numpy_seconds * 1000:6.1f} ms")
    print(f"import minidl: {minidl_seconds * 1000:6.1f} ms  (numpy included; {verdict} the 300 ms target)")
    print(f"minidl / numpy: {minidl_seconds / numpy_seconds:.2f}x")


if __name__ == "__main__":
    main()
