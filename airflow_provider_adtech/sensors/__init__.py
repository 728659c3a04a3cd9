"""Sensors of the ad-tech provider."""
