"""The composition root: the `muse` command wires the platform-free core (bot/) to the
platform adapters (adapters/). Nothing in bot/ imports adapters/; only this package
knows both."""
