"""Lifecycle definition, pure date rules, services (use cases) and unit of work."""
