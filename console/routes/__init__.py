"""Thin page handlers: read the request, call a pipeline service, render."""
