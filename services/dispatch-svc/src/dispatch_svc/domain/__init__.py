"""dispatch-svc's rules, without I/O: send windows, campaign state, sequences, outcomes."""
