"""iCalendar files for missions and private calendar feeds."""
