"""Service kit: settings, app factories, logging, auth, health and metrics."""
