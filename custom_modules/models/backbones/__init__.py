from .efficientnet_lite import EfficientNetLite
from .tiny_convnet import TinyConvNet

__all__ = ['EfficientNetLite', 'TinyConvNet']
