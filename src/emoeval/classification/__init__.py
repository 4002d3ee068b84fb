"""Single-label classification: the detailed table from the store and the task spec."""
