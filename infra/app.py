"""CDK entry point: `npx cdk synth` (via cdk.json) or `python infra/app.py` with CDK_OUTDIR set.

Paths resolve from the repository root (the parent of infra/), never from the current directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INFRA_DIR = PROJECT_ROOT / "infra"

# Python puts a script's own folder on sys.path, but say so explicitly: vigil_infra must come from this
# checkout whichever way the app is started (cdk CLI, emulator, `python -m`, an IDE runner).
if str(INFRA_DIR) not in sys.path:
    sys.path.insert(0, str(INFRA_DIR))

from vigil_infra.application import build_app  # noqa: E402  # needs the sys.path entry above
from vigil_infra.config import InvalidStackContextError  # noqa: E402
from vigil_infra.constructs.alerting import InvalidAlertRulesFileError  # noqa: E402
from vigil_infra.constructs.layers import DependenciesLayerNotBuiltError  # noqa: E402
from vigil_infra.constructs.probes import InvalidMonitorsFileError  # noqa: E402


def main() -> None:
    # The CLI and the emulator choose the output folder through CDK_OUTDIR; a bare run writes to cdk.out.
    outdir = None if os.environ.get("CDK_OUTDIR") else str(PROJECT_ROOT / "cdk.out")
    try:
        vigil = build_app(PROJECT_ROOT, outdir=outdir)
    except (
        InvalidStackContextError,
        DependenciesLayerNotBuiltError,
        InvalidMonitorsFileError,
        InvalidAlertRulesFileError,
    ) as error:
        # A setup mistake, not a bug: the message says what to fix, a traceback would only bury it.
        raise SystemExit(f"vigil: {error}") from None
    vigil.app.synth()


if __name__ == "__main__":
    main()
