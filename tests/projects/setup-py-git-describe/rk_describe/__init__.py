"""Nothing but a package."""
