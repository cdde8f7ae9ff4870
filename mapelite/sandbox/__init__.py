"""The code sandbox: bubblewrap namespaces, limits, the child program that runs a candidate's
tests. Imports only the standard library.
"""
