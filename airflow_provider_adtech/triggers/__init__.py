"""Triggers (the asynchronous half of deferrable sensors) of the ad-tech provider."""
