"""State changes of the risk app: provider deliveries, providers, outbreaks."""
