"""Decoding and sources: recorded feeds and MQTT, into typed OpenF1 events."""
