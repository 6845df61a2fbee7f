"""Professionals from a programme's spreadsheet (issue 17): read, map, validate, de-duplicate,
create *invited* people (no password, no consent) and let them claim their account."""
