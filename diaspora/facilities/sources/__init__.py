"""Facility lists from a ministry's own systems: DHIS2 organisation units (``dhis2``) and IHE
mCSD FHIR bundles (``mcsd``), written by ``store``; ``detect`` tells the formats apart."""
