"""The me area (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("me", __name__)
