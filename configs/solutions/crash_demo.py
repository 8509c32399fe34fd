# Solution manifest: the crash flow on a tiny SYNTHETIC dataset generated on first use
# (tools/data/make_crash_demo.py: drawn road scenes whose crush-moment frames shake and flash),
# with podium's TinyConvNet at 64 px so the whole flow runs on a CPU in about a minute:
#   bash train.sh 1 crash_demo && bash inference.sh 1 crash_demo
#   -> work_dirs/crash_demo/submission.csv, test AUC from data/crash_demo/test_labels/
_base_ = './crash.py'

solution = 'crash_demo'
data_root = 'data/crash_demo'
work_dir = 'work_dirs/crash_demo'
demo_data = True
preprocess = dict(folds=3)
folds = [0, 1]
auto_scale_lr = False
runs = [
    dict(name='tiny', kind='classifier', weight=1.0,
         config='configs/crash/tinyconvnet_1xb16-cos-4e_crash-demo-frames-64px.py'),
]
