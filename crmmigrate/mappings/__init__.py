"""Built-in mapping templates for known legacy exports, and their loader."""
