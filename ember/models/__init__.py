"""Model pieces used by the built-in recipes (``ember.recipes``): the character GPT's layers."""
