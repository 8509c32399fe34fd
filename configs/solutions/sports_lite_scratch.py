# Solution manifest: `sports_lite` with its backbone randomly initialised and every stage
# trained: the same config, data and iteration budget, for comparing against the ImageNet start
# (bench/transfer.py runs both side by side).
#   bash train.sh 1 sports_lite_scratch && bash inference.sh 1 sports_lite_scratch
_base_ = './sports_lite.py'

solution = 'sports_lite_scratch'
work_dir = 'work_dirs/sports_lite_scratch'
runs = [
    dict(name='lite0_scratch', kind='classifier', weight=1.0,
         config='configs/sports/efficientnet-lite0_1xb32-cos-300iter_sports-lite-112px.py',
         cfg_options={'model.backbone.frozen_stages': 0}),
]
