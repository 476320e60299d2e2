"""Documents the office sends: the return template the counties fill in (``python -m pipelines template``)."""
