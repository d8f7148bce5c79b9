"""Pages that belong to no cooperative: the start page, the health check, language choice, error pages."""
