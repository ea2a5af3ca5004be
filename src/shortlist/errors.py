"""The only exceptions the CLI turns into one-line messages (exit 2) instead of tracebacks."""

from __future__ import annotations


class ShortlistError(Exception):
    """A user-facing error: what went wrong, and how to fix it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class NotFound(ShortlistError):
    """A named thing (model, GPU, task, benchmark, file) does not exist."""


class BadInput(ShortlistError):
    """Input that cannot be used as given: malformed files, impossible sizes, bad options."""


class Offline(ShortlistError):
    """An online action was asked for but the network is unreachable."""


class MissingExtra(ShortlistError):
    """An optional dependency is needed for this code path."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"this needs the '{package}' package",
            f"install it with: pip install 'shortlist[{extra}]'",
        )


class FormatError(BadInput):
    """A user file that breaks its format's rules; each reader subclasses it once, for its format.

    The message names the file, the field and what was expected, on one line whatever the file holds,
    so the CLI can print it as is.
    """

    format_name = "file"

    def __init__(self, path: object, field: str, problem: str, hint: str | None = None) -> None:
        super().__init__(single_line(self.where(str(path), field) + problem), hint)
        self.path = str(path)
        self.field = field
        self.problem = problem

    @staticmethod
    def where(path: str, field: str) -> str:
        return f"{path}: {field}: " if field else f"{path}: "


def single_line(text: str, limit: int = 400) -> str:
    """Text with every line break and control character made a space, cut to `limit` characters."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text[: limit * 2])
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def shown(value: object, limit: int = 60) -> str:
    """A short, safe rendering of a value read from a user file, for an error message.

    Why: a value can be a 100 MB string, an integer too long to print, or a container thousands
    of items long; the message must stay one short line and cost nothing to build.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value.bit_length() < 200 else f"an integer of {value.bit_length()} bits"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 1] + "…"
        return single_line(repr(text), limit + 10)
    if isinstance(value, (list, tuple)):
        if len(value) <= 6 and all(v is None or isinstance(v, (bool, int, float)) for v in value):
            return "[" + ", ".join(shown(v) for v in value) + "]"
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return f"an object with {len(value)} key{'s' if len(value) != 1 else ''}"
    return f"a {type(value).__name__}"
