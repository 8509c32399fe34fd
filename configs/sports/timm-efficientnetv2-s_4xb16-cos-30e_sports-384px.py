# EfficientNetV2-S from timm (tf_efficientnetv2_s) through MMPretrain's TimmClassifier, on the
# EfficientNetV2 recipe. Offline: pretrained=False, and ImageNet weights in timm's own layout
# come from a local file (manifest `pretrained` -> model.init_cfg, see configs/solutions/sports.py).
_base_ = './efficientnetv2-s_4xb16-cos-30e_sports-384px.py'

model = dict(
    _delete_=True,
    type='TimmClassifier',
    model_name='tf_efficientnetv2_s',
    pretrained=False,
    num_classes=1000,  # the runner sets it from classes.txt
    loss=_base_.label_smooth_loss)
