# Solution manifest: the localize flow on a tiny SYNTHETIC dataset generated on first use
# (tools/data/make_localize_demo.py: one disc or square per image, images of varied sizes), with
# a tiny CNN at 64 px so the whole flow runs on a CPU in about a minute:
#   bash train.sh 1 localize_demo && bash inference.sh 1 localize_demo
#   ->  work_dirs/localize_demo/submission.csv
_base_ = './localize.py'

solution = 'localize_demo'
data_root = 'data/localize_demo'
work_dir = 'work_dirs/localize_demo'
demo_data = True
demo_seed = 0
inputs = dict(classes='classes.txt', hidden_test_boxes='test_boxes_synthetic.csv')
preprocess = dict(folds=4)

runs = [
    dict(name='tiny', kind='localizer', weight=1.0,
         config='configs/localize/tinyconvnet-bboxreg_1xb16-cos-40e_localize-demo-letterbox-64px.py'),
]
