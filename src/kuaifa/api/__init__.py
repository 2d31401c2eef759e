"""The JSON API (not built yet): it will sit beside the workbench over the same services and permission table."""
