"""Missions themselves: models, schemas, the lifecycle services, pages, API and demo data."""
