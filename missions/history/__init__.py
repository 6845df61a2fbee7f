"""Past missions imported from a programme's spreadsheet (issue 17)."""
