"""Mission pages (filled in below)."""
from flask import Blueprint

bp = Blueprint("missions", __name__)
