"""Lets the example's tests import ``app`` from this folder."""
