"""The HTTP interface: the application (``app.py``), the REST API under ``/api/v1`` (one
module per resource), the dependencies every handler shares (``deps.py``) and the one place
where domain errors become problem details (``problems.py``)."""
