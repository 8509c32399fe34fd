from . import heads, losses, tta  # noqa: F401  (registration)
from .backbones import EfficientNetLite, TinyConvNet

__all__ = ['EfficientNetLite', 'TinyConvNet']
