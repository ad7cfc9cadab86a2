"""Compare iac_exposure.parsers.hcl_fast with python-hcl2 (Lark) on a directory of .tf files.

    python benchmarks/hcl_fast_compare.py DIR [--repeat N]

For every file: whether the fast parser accepts it and whether its tree is Lark's; then the median per-file
parse time of each (best of N runs per file, Lark warmed up first) and the import time of hcl_fast.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def canon(tree: Any) -> Any:
    from lark import Tree

    if isinstance(tree, Tree):
        children = [canon(c) for c in tree.children]
        if tree.meta.empty:
            return (str(tree.data), children, 0, 0, True)
        return (str(tree.data), children, tree.meta.start_pos, tree.meta.end_pos, False)
    return (tree.type, str(tree), tree.start_pos, tree.end_pos)


def best(fn: Any, arg: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("directory", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import hcl2

    from iac_exposure.parsers import hcl_fast

    files = sorted(p for p in args.directory.rglob("*") if p.suffix in (".tf", ".tfvars"))
    texts = [p.read_text(encoding="utf-8") for p in files]
    hcl2.parses_to_tree("a = 1\n")  # grammar loaded, lexer built
    accepted = identical = 0
    fast_times, lark_times, sizes = [], [], []
    for text in texts:
        got = hcl_fast.parse(text)
        want = canon(hcl2.parses_to_tree(text))
        accepted += got is not None
        identical += got == want
        fast_times.append(best(hcl_fast.parse, text, args.repeat))
        lark_times.append(best(hcl2.parses_to_tree, text, args.repeat))
        sizes.append(len(text))
    fast_ms = statistics.median(fast_times) * 1000
    lark_ms = statistics.median(lark_times) * 1000
    print(f"{len(files)} files, median {statistics.median(sizes)} chars")
    print(f"accepted {accepted}/{len(files)}, identical to Lark {identical}/{len(files)}")
    print(f"median per file: hcl_fast {fast_ms:.2f} ms, Lark {lark_ms:.2f} ms ({lark_ms / fast_ms:.1f}x)")
    print(f"total: hcl_fast {sum(fast_times):.3f} s, Lark {sum(lark_times):.3f} s")
    # Import time with bytecode caching on (as installed), in a private pycache, after one warm-up run.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as pycache:
        env["PYTHONPYCACHEPREFIX"] = pycache
        own, cumulative = [], []
        for i in range(8):
            out = subprocess.run(
                [sys.executable, "-X", "importtime", "-c", "import iac_exposure.parsers.hcl_fast"],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            ).stderr
            line = next(x for x in out.splitlines() if x.rstrip().endswith("iac_exposure.parsers.hcl_fast"))
            if i:
                own.append(int(line.split("|")[0].split(":")[1]))
                cumulative.append(int(line.split("|")[1]))
    print(
        f"import iac_exposure.parsers.hcl_fast, median of 7: {statistics.median(own) / 1000:.2f} ms self, "
        f"{statistics.median(cumulative) / 1000:.2f} ms with what it imports"
    )


if __name__ == "__main__":
    main()
