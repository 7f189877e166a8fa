"""The sender: each replica sends the due messages of the `message.due` partitions it owns."""
