"""Progress of a live scan: a rich bar with counts and ETA on a terminal, silence everywhere else.

Progress goes to stderr so that ``--output json`` on stdout stays clean when both are on a terminal.
"""

from __future__ import annotations

from typing import Any


class Progress:
    """The silent default; :meth:`for_terminal` returns the visible one when it makes sense."""

    def start(self, name: str, total: int) -> None:
        """Begin (or restart) a counted phase."""

    def advance(self, name: str, n: int = 1) -> None:
        """Count ``n`` more items of a phase."""

    def close(self) -> None:
        """Stop drawing."""

    @staticmethod
    def null() -> Progress:
        return Progress()

    @staticmethod
    def for_terminal(quiet: bool = False) -> Progress:
        from rich.console import Console

        console = Console(stderr=True)
        if quiet or not console.is_terminal:
            return Progress()
        return RichProgress(console)


class RichProgress(Progress):
    def __init__(self, console: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar

        self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=console, transient=True)
        self._tasks: dict[str, Any] = {}
        self._bar.start()

    def start(self, name: str, total: int) -> None:
        if name in self._tasks:
            self._bar.update(self._tasks[name], total=total, completed=0)
        else:
            self._tasks[name] = self._bar.add_task(name, total=total)

    def advance(self, name: str, n: int = 1) -> None:
        task = self._tasks.get(name)
        if task is not None:
            self._bar.advance(task, n)

    def close(self) -> None:
        self._bar.stop()
