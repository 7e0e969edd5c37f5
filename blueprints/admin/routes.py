"""The admin area (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__)
