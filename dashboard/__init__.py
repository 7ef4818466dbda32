"""MicroSpaceGen dashboard: pages, components, services, API and the web shell."""

__version__ = "0.1.0"
