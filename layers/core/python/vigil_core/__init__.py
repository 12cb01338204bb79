"""vigil's shared core: domain models, ports, adapters and services shipped to Lambda as a layer."""
