"""Ready-made model builders (Keras models): ``ember.models.gpt.build_char_gpt``."""
