"""GitHub pull-request reviews over the REST API, on the standard library only."""
