"""YAML the importers write for people to review: keys in the order given, shared values written out in full."""

from __future__ import annotations

from typing import Any

import yaml


class _PlainDumper(yaml.SafeDumper):
    """Writes shared values (defaults reused across entries) out in full rather than as &anchors and *aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def plain_yaml(document: Any) -> str:
    return yaml.dump(document, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=120)
