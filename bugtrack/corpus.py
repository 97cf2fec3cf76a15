"""Where the shared corpus of real SDK payloads lives (tests, benchmarks and demo data)."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def find_corpus() -> Path | None:
    """`BUGTRACK_CORPUS`, else `shared/corpus` beside the repo or beside one of its parents
    (CI clones the repo with `shared/` beside it; worktrees sit one level deeper)."""
    if os.environ.get("BUGTRACK_CORPUS"):
        return Path(os.environ["BUGTRACK_CORPUS"])
    for parent in REPO_ROOT.parents:
        candidate = parent / "shared" / "corpus"
        if candidate.is_dir():
            return candidate
    return None
