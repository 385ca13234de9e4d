"""`kubectl aoc`: a kubectl plugin to inspect, rotate, suspend and preflight credentials.

It acts with the user's kubeconfig and RBAC, not the operator's, and only through the documented
interface: the rotate and emergency annotations, spec.suspend, and reads of status and events.
"""
