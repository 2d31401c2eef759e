"""The merchant's workbench: Django templates + HTMX over the same services as the CLI."""
