"""Machine-readable report formats for CI systems."""
