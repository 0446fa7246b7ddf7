"""The registry as several processes at once, tested from outside (issue 22): `drive` walks the
whole chain through the JSON API over one or more web servers, `run` starts a small cluster
(two web servers, two job workers) on PostgreSQL and Redis, kills a worker halfway and checks
that nothing was lost or done twice. See cluster/README.md."""
