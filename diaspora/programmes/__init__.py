"""Programmes (e.g. MIDA Ghana Health) and the diaspora organisations that take part."""
