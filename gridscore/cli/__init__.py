"""The roof: every `gridscore` command. It imports every layer; nothing imports it."""
