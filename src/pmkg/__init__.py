"""pmkg: the precision-medicine knowledge graph."""

__version__ = "0.1.0"
