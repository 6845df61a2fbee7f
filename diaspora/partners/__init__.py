"""Partner institutions abroad, their agreements, and twinning partnerships with host facilities."""
