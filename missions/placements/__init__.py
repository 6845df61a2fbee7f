"""Training placements abroad: offers, nominations, selection, readiness, return, follow-ups;
and the named counterparts of missions and sessions."""
