from . import heads, losses  # noqa: F401  (registration)
from .backbones import EfficientNetLite, TinyConvNet

__all__ = ['EfficientNetLite', 'TinyConvNet']
