"""Reports: the dashboard of the authority and the commune offices, 6-month and annual
reports (PDF, XLSX) whose digests are logged, commune confirmations signed by the
registry, and the open data the national MRV and traceability systems pull.

Every figure comes from three small tables of sums (`models.EmissionCell`, `LabelCell`,
`FieldCell`) that `rollup.refresh` rebuilds with one GROUP BY each over the registry's
records; pages and files add cells up, so a total is always the sum of its parts."""
