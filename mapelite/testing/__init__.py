"""Test and demo support that runs for real: the OpenAI-compatible model server on loopback
(`model_server`), its scripts of answers and faults, and right answers per harness. Imports
`mapelite.harnesses` only.
"""
