"""The config round trip of an object family's member (constraint, initializer, loss, ...)."""


def family_round_trip(obj, family, module):
    """``from_config(get_config())`` rebuilds an equal config, ``family.serialize`` writes Keras'
    ``module`` and ``family.deserialize`` reads back an object with the same config, returned."""
    config = obj.get_config()
    assert type(obj).from_config(config).get_config() == config
    serialized = family.serialize(obj)
    assert serialized["module"] == module
    again = family.deserialize(serialized)
    assert again.get_config() == config
    return again
