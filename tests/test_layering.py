"""Imports run one way: masking (privacy primitives) <- govlake (the platform's foundation) <- jobs
(the stages) <- entrypoints (the command, the demo, Airflow task helpers) <- dags. Only govlake's leaf modules (errors,
config) are shared with masking."""

import ast
from pathlib import Path

from govlake.config import REPO_ROOT

LAYERS = {"masking": 1, "govlake": 2, "jobs": 3, "entrypoints": 4, "bench": 4, "dags": 5}
SHARED = {"govlake.errors", "govlake.config"}  # leaf modules every layer may use


def imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name


def test_imports_run_one_way():
    wrong = []
    for package, layer in LAYERS.items():
        for path in (REPO_ROOT / package).rglob("*.py"):
            for module in imports(path):
                top = module.split(".")[0]
                if top in LAYERS and top != package and module not in SHARED and LAYERS[top] >= layer:
                    wrong.append(f"{path.relative_to(REPO_ROOT)} imports {module}")
    assert wrong == []


def test_stages_are_named_in_one_explicit_map():
    from jobs.pipeline import STAGES

    assert list(STAGES) == ["ingest", "validate", "mask", "policy_sync", "plan_release", "publish"]
    sources = [p.read_text(encoding="utf-8") for d in ("entrypoints", "dags", "jobs")
               for p in (REPO_ROOT / d).rglob("*.py")]
    assert not any('getattr(pipeline, f"run_' in s for s in sources)
