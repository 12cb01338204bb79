"""vigil's command-line tools: the local cloud and the demo."""


class CliError(Exception):
    """An error the CLI reports as one line on stderr with exit code 1 (no traceback)."""
