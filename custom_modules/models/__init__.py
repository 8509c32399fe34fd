from . import heads, losses  # noqa: F401  (registration)
from .backbones import TinyConvNet

__all__ = ['TinyConvNet']
