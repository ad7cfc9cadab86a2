"""Reporters: pure `render(report, ...) -> str`, imported only when chosen."""
