"""tracking-svc's rules without I/O: facts, the recipient fold, statistics, replies."""
