"""The nightly reconciliation: APScheduler 3 jobs (one per zone, at its local night), their
job store in the application database, catch-up of missed nights and abandoned runs."""
