"""The ideas area (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ideas", __name__)
