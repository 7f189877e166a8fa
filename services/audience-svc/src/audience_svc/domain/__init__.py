"""audience-svc's rules, free of I/O: the patient fold, targeting, assignment, messages, import rows."""
