"""The leaf layer: types and text utilities every other layer imports; it imports none of them."""
