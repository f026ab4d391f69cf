"""Encoders, the vector store, ranking, indexing and evaluation."""
