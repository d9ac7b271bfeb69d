"""Vigisanté: incident reporting and early warning for a health-sector CERT."""

__version__ = "0.1.0"
