"""The stages of reading one mail, one module each; `proxy.message` puts them together.

Import from `proxy.message` (the facade), not from here: the split into modules is how the
code is organised, not an API.
"""
