"""Programme dashboards, exports and reports.

- ``filters``: the filters every figure and export shares, and the missions and needs they select
  (a coordinator's selection never leaves their facilities);
- ``sql``: the few SQL expressions SQLite and PostgreSQL spell differently;
- ``indicators``: every dashboard figure, each an aggregate computed in SQL;
- ``charts``: SVG geometry for bars and time series (maps come from ``diaspora.maps``);
- ``exports``: missions and outcomes as CSV or XLSX, never with contact details;
- ``fhir``: host facilities and confirmed professionals as a FHIR R4 Bundle.
"""
