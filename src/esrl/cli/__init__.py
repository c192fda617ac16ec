"""The `esrl` command line."""
