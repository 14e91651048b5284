"""Pure lifecycle machines (python-statemachine), no I/O. Only services drive them."""
