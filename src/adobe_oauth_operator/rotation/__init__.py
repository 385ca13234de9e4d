"""The rotation state machine: pure decisions from status, observations and the clock."""
