from __future__ import annotations
from pathlib import Path
from typing import Any
from ..config import Config
from . import Unit
MARKERS = ('"format_version"',)
def detect(data: Any) -> bool:
    return False
def unit(path: Path, text: str, data: Any, config: Config) -> Unit:
    raise NotImplementedError
