"""Syntax → documents with spans. One module per input format."""


class ParseError(Exception):
    """A file that looks like an input format but does not parse."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
