"""The sender: one leased loop that sends due messages through their channels."""
