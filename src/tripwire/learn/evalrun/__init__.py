"""Running the incident test cases against a candidate: targets, checks, the suite, the gate."""
