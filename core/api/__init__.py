"""What every API endpoint shares: strict parameters, keyset paging, ETags, writes and history."""
