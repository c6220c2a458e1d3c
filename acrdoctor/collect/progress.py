"""Progress of a live scan or an applied fix: a rich bar with counts, rate and ETA on a terminal, silence elsewhere.

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
        from rich.progress import BarColumn, MofNCompleteColumn, ProgressColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar
        from rich.text import Text

        class PerMinute(ProgressColumn):  # type: ignore[misc]
            """Items a minute, the unit ACR's request limits are documented in."""

            def render(self, task: Any) -> Text:
                return Text(f"{task.speed * 60:,.0f}/min" if task.speed else "", style="progress.data.speed")

        self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), PerMinute(),
                        TimeRemainingColumn(), console=console, transient=True)
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
