"""Kubernetes side effects: Secrets, workloads, rollouts and events."""
