"""Mission API (filled in below)."""
from flask_smorest import Blueprint

blp = Blueprint("missions_api", __name__, url_prefix="/api/v1", description="Needs and missions")
