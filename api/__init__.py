"""HTTP: the JSON API under /api/v1 and the Chinese pages, both thin over services."""
