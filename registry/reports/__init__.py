"""Reports: the dashboard of the authority and the commune offices, 6-month and annual
reports (PDF, XLSX) whose digests are logged, commune confirmations signed by the
registry, and the open data the national MRV and traceability systems pull.

Every figure comes from three small tables of sums (`models.EmissionCell`, `LabelCell`,
`FieldCell`), one row per place and month, computed in the database by GROUP BY
(`sums.py`) and kept up to date by `rollup.refresh` for the organisations whose records
changed (`changes.py`); pages and files add cells up, so a total is always the sum of
its parts. docs/reports.md and docs/open-data.md describe the whole."""
