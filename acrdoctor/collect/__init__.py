"""Collecting registry data: live through the Azure SDKs, fast and polite to the registry."""
