# Solution manifest: the localize flow on REAL images on a CPU: ImageNet EfficientNet-Lite0 + the
# class/box head (localize_lite) on the real-image set of tools/data/make_real_localize.py
# (Fashion-MNIST product photos, sneaker vs ankle boot, pasted onto real photographs; 1,200 train
# and 300 test images, long side 160 px; hidden test boxes in test_boxes.csv):
#   apt-get install dataset-fashion-mnist   # the objects (once)
#   python tools/data/make_real_localize.py --out data/localize_real
#   bash train.sh 1 localize_real && bash inference.sh 1 localize_real
#     ->  work_dirs/localize_real/submission.csv (+ test mIoU/accuracy in the stage summary)
# bench/localize_real.py runs it beside a constant box and TinyConvNet.
_base_ = './localize_lite.py'

solution = 'localize_real'
data_root = 'data/localize_real'
work_dir = 'work_dirs/localize_real'
inputs = dict(classes='classes.txt', hidden_test_boxes='test_boxes.csv')
