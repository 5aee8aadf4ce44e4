"""Readers for Japan's open disaster data. Pure functions: bytes in, records or a located error out."""
