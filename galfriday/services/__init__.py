"""Use cases: async orchestration of domain logic through ports. Services never import adapters."""
