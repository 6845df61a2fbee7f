"""Needs: what a host facility asks for. Approved by programme managers before matching."""
