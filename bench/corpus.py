"""Where real SDK payloads live: the repo's own fixtures, and the shared corpus beside the repo
when there is one (tests, benchmarks and demo data)."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "events"  # same layout as the corpus


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


def payload_dirs() -> list[Path]:
    """The repo's fixtures, plus the shared corpus when it is found."""
    corpus = find_corpus()
    return [FIXTURES, *([corpus] if corpus and corpus.is_dir() else [])]
