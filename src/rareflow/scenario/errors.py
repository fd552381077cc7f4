"""The one error a bad scenario file raises: file, line, field and what was expected."""

from __future__ import annotations

from pathlib import Path

from rareflow.errors import UserError


class ScenarioError(UserError, ValueError):
    """A scenario that cannot be used as written. `str()` is the one-line message for users."""

    def __init__(
        self, message: str, file: str | Path | None = None, line: int | None = None, field: str = ""
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        super().__init__(self.render())

    def render(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        field = f"{self.field}: " if self.field else ""
        # one line, whatever the message carried (YAML problems span lines)
        text = " ".join(self.message.split())
        return f"{where}{field}{text}"
