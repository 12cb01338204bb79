"""Files deployed as code (monitors.yaml, alert-rules.yaml): read and validated at synth time, then shipped
beside the handler that applies them as normalized JSON."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from vigil_core.errors import VigilError


def load_document_file(
    path: Path, normalize: Callable[[Any], dict[str, Any]], error: type[ValueError]
) -> dict[str, Any]:
    """The normalized document, or `error` naming the file, each bad field and why."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from None
    try:
        return normalize(data)
    except VigilError as exc:
        problems = "; ".join(f"{p.field}: {p.problem}" for p in exc.problems) or exc.message
        raise error(f"{path}: {problems}") from None


def handler_with_document(source: Path, document: dict[str, Any], file_name: str) -> Path:
    """A copy of the handler's folder with the document beside it; CDK copies it into the assembly."""
    code_dir = Path(tempfile.mkdtemp(prefix=f"vigil-{source.name}-"))
    shutil.copytree(source, code_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (code_dir / file_name).write_text(json.dumps(document, indent=1, sort_keys=True), encoding="utf-8")
    return code_dir
