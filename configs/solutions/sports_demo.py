# Solution manifest: the sports flow on a tiny SYNTHETIC image dataset generated on first use
# (tools/data/make_sports_demo.py: drawn checkerboards, discs and stripes, 4 classes) with a
# TinyConvNet at 64 px, so the whole flow runs on a CPU in about a minute:
#   bash train.sh 1 sports_demo && bash inference.sh 1 sports_demo
#     ->  work_dirs/sports_demo/submission.csv
_base_ = './sports.py'

solution = 'sports_demo'
data_root = 'data/sports_demo'
work_dir = 'work_dirs/sports_demo'
demo_data = True
inputs = dict(classes='classes.txt', hidden_test_labels='test_labels_synthetic.csv')
preprocess = dict(folds=4)
auto_scale_lr = False

runs = [
    dict(name='tiny', kind='classifier', weight=1.0,
         config='configs/sports/tinyconvnet_1xb16-cos-30e_sports-demo-64px.py'),
    # A second, cheaper model (half the width, half the epochs) so the ensemble has something
    # to weigh: with FOLDS=all its weight is fitted on the out-of-fold predictions.
    dict(name='tiny_narrow', kind='classifier', weight=1.0,
         config='configs/sports/tinyconvnet_1xb16-cos-30e_sports-demo-64px.py',
         cfg_options={'model.backbone.base_channels': 8, 'model.head.in_channels': 32,
                      'train_cfg.max_epochs': 15, 'param_scheduler.T_max': 15,
                      'param_scheduler.end': 15}),
]
# Fitted on the OOF predictions when every fold is trained (FOLDS=all); else the runs' weights.
ensemble = dict(weights='oof')
