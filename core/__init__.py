"""Shared building blocks of the API: paging, strict filters, viewset mixins, history. Imports no domain app."""
