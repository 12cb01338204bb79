"""The vigil CDK app: stage config, one construct per concern, and the stack that wires them."""
