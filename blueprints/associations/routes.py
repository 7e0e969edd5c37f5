"""The associations area (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("associations", __name__)
