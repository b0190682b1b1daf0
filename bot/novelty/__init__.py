"""Novelty and relevance with sentence embeddings: embedders, the pick, the service."""

from bot.novelty.embedders import Embedder, LexicalEmbedder, LocalEmbedder, OpenAIEmbedder
from bot.novelty.pick import Pick, pick
from bot.novelty.service import Choice, Novelty, Picker, embed_text

__all__ = [
    "Choice",
    "Embedder",
    "LexicalEmbedder",
    "LocalEmbedder",
    "Novelty",
    "OpenAIEmbedder",
    "Pick",
    "Picker",
    "embed_text",
    "pick",
]
