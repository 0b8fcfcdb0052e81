"""Kraken Spot adapter: REST client, signing, nonces, naming, and (elsewhere) the WebSocket side."""
