"""Click."""
