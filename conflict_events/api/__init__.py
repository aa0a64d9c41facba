"""What every API endpoint shares: strict parameters, keyset paging, ordering and exports' plumbing."""
