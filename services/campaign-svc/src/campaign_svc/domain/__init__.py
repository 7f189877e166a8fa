"""campaign-svc rules with no I/O: the campaign model, validation, templates and lifecycle."""
