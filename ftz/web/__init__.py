"""The web pages (Jinja2 templates in ``templates/``, mirrored by folder): login and logout
here; the operators' and auditors' pages build on them."""
