"""The catalog: models, prices and tiers, its refresh from OpenRouter, and the cost estimate.
The top floor of the core: may import any other part of `mapelite`.
"""
