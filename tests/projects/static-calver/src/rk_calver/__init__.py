"""Released by the calendar."""
