"""Hooks: authentication, sessions and endpoints of the five vendor APIs."""
