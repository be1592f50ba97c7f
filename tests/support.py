"""Small helpers shared by test modules."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
