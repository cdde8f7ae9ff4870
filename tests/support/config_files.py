"""The `mapelite.toml` the config tests share: two endpoints on two model servers (an
OpenAI-compatible one that needs a key, an Ollama one), priced models and a tier ``mine``."""

from __future__ import annotations

from mapelite.testing.model_server import ModelServer

LAB_KEY = "lab-key-0123456789-SECRET"


def two_endpoint_config(lab: ModelServer, gpu: ModelServer) -> str:
    return f"""
[endpoints.lab]
base_url = "{lab.base_url}"
protocol = "openai"
api_key_env = "LAB_API_KEY"
limit = 2

[endpoints.gpu]
base_url = "{gpu.ollama_url}"
protocol = "ollama"
limit = 3

[models."lab/x"]
input_price_per_m = 0.10
output_price_per_m = 0.30

[models."gpu/y"]
input_price_per_m = 0.02
output_price_per_m = 0.06

[tiers]
mine = ["lab/x", "gpu/y"]
"""
