"""Product records, catalog feed formats and the built-in demo catalog."""
