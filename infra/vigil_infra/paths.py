"""Where the app finds the code it ships, resolved from the repository root rather than the cwd."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vigil_infra.config import StackConfig


@dataclass(frozen=True)
class ProjectPaths:
    """Absolute paths of the folders that become Lambda code and layer assets."""

    root: Path
    dependencies_layer: Path

    @classmethod
    def from_config(cls, root: Path, config: StackConfig) -> ProjectPaths:
        root = root.resolve()
        # An absolute context value (a test's tmp folder) wins; a relative one is relative to the repo root.
        return cls(root=root, dependencies_layer=(root / config.dependencies_layer_path).resolve())

    @property
    def core_layer(self) -> Path:
        return self.root / "layers" / "core"

    def function_code(self, function_name: str) -> Path:
        return self.root / "functions" / function_name
