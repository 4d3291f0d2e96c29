"""A run: the session around it (lock, record), the plan, the scheduler, the release gate, hook
mode, fan-out, and the result cache.
"""
