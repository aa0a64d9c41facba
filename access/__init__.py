"""Who may do what: API tokens, the groups every install starts with, and limits on requests."""
