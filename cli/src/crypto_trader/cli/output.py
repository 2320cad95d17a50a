"""Print child output and supervisor notes, each line prefixed by a coloured, padded name."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

_PALETTE = (
    "cyan",
    "magenta",
    "green",
    "yellow",
    "blue",
    "bright_red",
    "bright_cyan",
    "bright_magenta",
    "bright_green",
    "bright_yellow",
)
SUPERVISOR = "ct"


class PrefixedOutput:
    """One console shared by all children, so their lines never interleave mid-line."""

    def __init__(self, console: Console, names: Sequence[str]) -> None:
        self.console = console
        self._width = max(len(name) for name in (*names, SUPERVISOR))
        self._styles = {name: _PALETTE[index % len(_PALETTE)] for index, name in enumerate(names)}
        self._styles[SUPERVISOR] = "bold white"

    def line(self, name: str, text: str) -> None:
        """Print one line a process wrote."""
        prefix = Text(name.ljust(self._width), style=self._styles.get(name, "white"))
        # Children may colour their own output; keep it, but never parse it as rich markup.
        self.console.print(
            Text.assemble(prefix, " | ", Text.from_ansi(text)), soft_wrap=True, highlight=False
        )

    def note(self, text: str, *, style: str = "") -> None:
        """Print a message of the supervisor itself."""
        prefix = Text(SUPERVISOR.ljust(self._width), style=self._styles[SUPERVISOR])
        self.console.print(
            Text.assemble(prefix, " | ", Text(text, style=style)), soft_wrap=True, highlight=False
        )
