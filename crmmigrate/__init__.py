"""crmmigrate: CRM data migration and data quality."""

__version__ = "0.1.0"
