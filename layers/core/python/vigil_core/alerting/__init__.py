"""Alerting without I/O: what an evaluation observes, how an alert moves between states, what is
suppressed and when a notification group speaks. Services read and store; these modules decide."""
