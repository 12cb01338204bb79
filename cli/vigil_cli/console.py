"""How the commands print: rich tables with colours in a terminal, plain aligned text elsewhere, the API's
JSON with --json, progress on stderr for long work.

`rich` (the `cli` extra, installed by `make setup`) is optional: without it, or when stdout is not a
terminal, tables are plain text and progress is silent. NO_COLOR (any value) or --no-color drops the colours;
FORCE_COLOR (any value) makes stdout count as a terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from rich.console import Console

# Colours by state, shared by every table (monitors, alerts, silences, SLA figures, keys).
STATE_STYLES: dict[str, str] = {
    "up": "green",
    "ok": "green",
    "active": "green",
    "degraded": "yellow",
    "pending": "yellow",
    "acknowledged": "yellow",
    "maintenance": "blue",
    "down": "red",
    "firing": "bold red",
    "violated": "red",
    "critical": "bold red",
    "error": "red",
    "warning": "yellow",
    "info": "cyan",
    "resolved": "dim",
    "expired": "dim",
    "revoked": "dim",
    "paused": "dim",
    "no_data": "dim",
}


@dataclass(frozen=True)
class Column:
    header: str
    align: Literal["left", "right"] = "left"


@dataclass(frozen=True)
class Cell:
    text: str
    style: str | None = None


CellValue = str | Cell | None


def state_cell(value: str | None, *, text: str | None = None) -> Cell:
    """A state shown in its colour (up green, down red, firing red, acknowledged yellow, resolved dim, ...)."""
    if value is None:
        return Cell(text or "-", "dim")
    return Cell(text if text is not None else value, STATE_STYLES.get(value.lower()))


def rich_installed() -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


class HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions and epilogs paragraph by paragraph, but keeps indented lines (examples) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines = []
        for line in text.splitlines():
            if not line.strip() or line.startswith(" "):
                lines.append(indent + line)
            else:
                lines.append(textwrap.fill(line, width, initial_indent=indent, subsequent_indent=indent))
        return "\n".join(lines)


class Progress(Protocol):
    def advance(self, count: int = 1) -> None: ...


class _SilentProgress:
    def advance(self, count: int = 1) -> None:
        pass


class Output:
    """Where and how a command prints. Streams are looked up when used, so a swapped sys.stdout is honoured."""

    def __init__(
        self,
        *,
        json_mode: bool = False,
        no_color: bool = False,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.json_mode = json_mode
        self._stdout = stdout
        self._stderr = stderr
        environ = os.environ if environ is None else environ
        self._no_color = no_color or "NO_COLOR" in environ
        self._force_terminal = bool(environ.get("FORCE_COLOR"))

    @classmethod
    def from_args(cls, args: Any) -> Output:
        return cls(json_mode=bool(getattr(args, "json", False)), no_color=bool(getattr(args, "no_color", False)))

    @property
    def stdout(self) -> IO[str]:
        return self._stdout or sys.stdout

    @property
    def stderr(self) -> IO[str]:
        return self._stderr or sys.stderr

    def _is_terminal(self, stream: IO[str]) -> bool:
        if self._force_terminal:
            return True
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())

    @property
    def rich(self) -> bool:
        """Whether stdout gets rich tables and colours: a terminal, and rich installed."""
        return self._is_terminal(self.stdout) and rich_installed()

    def _console(self, stream: IO[str]) -> Console:
        from rich.console import Console

        return Console(
            file=stream,
            force_terminal=self._force_terminal or None,
            no_color=self._no_color,
            highlight=False,
            emoji=False,
            soft_wrap=False,
        )

    # -- stdout -------------------------------------------------------------------------------------

    def print_json(self, data: Any) -> None:
        """The API's JSON, keys in the API's order, indented: stable for scripts and jq."""
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def line(self, text: str = "", style: str | None = None) -> None:
        if self.rich and style:
            from rich.text import Text

            self._console(self.stdout).print(Text(text, style=style))
        else:
            self.stdout.write(text + "\n")

    def fields(self, pairs: Sequence[tuple[str, CellValue]]) -> None:
        """A block of `label  value` lines (one record)."""
        width = max((len(label) for label, _ in pairs), default=0)
        if self.rich:
            from rich.text import Text

            console = self._console(self.stdout)
            for label, value in pairs:
                cell = _cell(value)
                console.print(Text.assemble((f"{label:<{width}}  ", "bold"), (cell.text, cell.style or "")))
            return
        for label, value in pairs:
            self.stdout.write(f"{label:<{width}}  {_cell(value).text}".rstrip() + "\n")

    def table(
        self, columns: Sequence[Column], rows: Sequence[Sequence[CellValue]], *, title: str | None = None
    ) -> None:
        if self.rich:
            self._rich_table(columns, rows, title)
        else:
            if title:
                self.stdout.write(title + "\n")
            self.stdout.write(plain_table(columns, rows) + "\n")

    def _rich_table(self, columns: Sequence[Column], rows: Sequence[Sequence[CellValue]], title: str | None) -> None:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        table = Table(
            title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold"
        )
        for index, column in enumerate(columns):
            # Headers never break; the first column (ids, to copy into the next command) never wraps.
            table.add_column(
                column.header, justify=column.align, overflow="fold", min_width=len(column.header), no_wrap=index == 0
            )
        for row in rows:
            table.add_row(*(Text(cell.text, style=cell.style or "") for cell in map(_cell, row)))
        self._console(self.stdout).print(table)

    # -- stderr -------------------------------------------------------------------------------------

    def info(self, text: str) -> None:
        """A note for the person at the terminal (stderr, so stdout stays data)."""
        self.stderr.write(text + "\n")

    def warn(self, text: str) -> None:
        self.stderr.write(f"vigil: warning: {text}\n")

    @contextmanager
    def status(self, message: str) -> Iterator[None]:
        """A spinner on stderr while waiting for one slow answer (nothing when stderr is no terminal)."""
        if not (self._is_terminal(self.stderr) and rich_installed()):
            yield
            return
        with self._console(self.stderr).status(message):
            yield

    @contextmanager
    def progress(self, total: int | None, description: str) -> Iterator[Progress]:
        """A progress bar on stderr for work in steps (silent when stderr is no terminal)."""
        if not (self._is_terminal(self.stderr) and rich_installed()):
            yield _SilentProgress()
            return
        from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        with RichProgress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console(self.stderr),
            transient=True,
        ) as bar:
            task = bar.add_task(description, total=total)

            class _Advance:
                def advance(self, count: int = 1) -> None:
                    bar.advance(task, count)

            yield _Advance()

    def can_ask(self) -> bool:
        return bool(sys.stdin and sys.stdin.isatty())

    def ask_yes_no(self, question: str) -> bool:
        self.stderr.write(f"{question} [y/N] ")
        self.stderr.flush()
        try:
            answer = sys.stdin.readline()
        except (OSError, EOFError):
            return False
        return answer.strip().lower() in ("y", "yes")


def _cell(value: CellValue) -> Cell:
    if isinstance(value, Cell):
        return value
    return Cell("-" if value is None or value == "" else value)


def plain_table(columns: Sequence[Column], rows: Sequence[Sequence[CellValue]]) -> str:
    """Columns two spaces apart, upper-case headers, no trailing spaces: for pipes, grep and logs."""
    texts = [[column.header.upper() for column in columns]]
    texts += [[_cell(value).text.replace("\n", " ") for value in row] for row in rows]
    widths = [max(len(row[index]) for row in texts) for index in range(len(columns))]
    lines = []
    for row in texts:
        parts = [
            text.rjust(width) if column.align == "right" else text.ljust(width)
            for text, width, column in zip(row, widths, columns, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


# -- formatting ---------------------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def short_span(seconds: float) -> str:
    """45s, 12m, 3h, 2d: the largest whole unit."""
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def ago(value: Any, now: datetime | None = None) -> str:
    """When something happened, relative to now: "3m ago", "in 2h"; "-" when never."""
    at = parse_time(value)
    if at is None:
        return "-"
    delta = ((now or datetime.now(UTC)) - at).total_seconds()
    return f"{short_span(delta)} ago" if delta >= 0 else f"in {short_span(delta)}"


def timestamp(value: Any) -> str:
    """An API time as 2026-11-23 09:29Z (UTC, to the minute)."""
    at = parse_time(value)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ") if at else "-"


def interval_text(seconds: Any) -> str:
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return "-"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def number(value: Any, digits: int = 2, suffix: str = "") -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "-"
    return f"{value:.{digits}f}{suffix}"
