"""Local fake servers for end-to-end tests."""
