"""vigil_client: push metrics to vigil."""
