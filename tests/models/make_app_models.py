#!/usr/bin/env python3
"""Tiny ONNX models for tests/test_app_onnx.cpp (the app's Model panel), written next to tests/models/.

    /usr/bin/python3 make_app_models.py tests/models

app_unsupported.onnx  x [1, 4, 5, 5] -> Hardmax (an op the executor does not run) -> ConvTranspose k4 s2 p1 with
                      bias -> y [1, 2, 10, 10]: the ConvTranspose node opens with a random input of the inferred shape.
app_asymmetric.onnx   x [1, 2, 5, 5] -> ConvTranspose "up1" k3 s2 pads begin (1, 1) end (0, 0) -> Relu -> ConvTranspose
                      "up2" k3 s2 pads begin (0, 1) end (1, 0) -> y [1, 1, 20, 20]: ONNX's asymmetric pads, which no
                      single PyTorch call has. up1 equals PyTorch's padding 1, output_padding 1; up2 crops more at
                      its bottom than any padding and output_padding pair does.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240614)


def save(model, name):
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name))
    print("wrote", name)


w = numpy_helper.from_array(rng.uniform(-0.5, 0.5, (4, 2, 4, 4)).astype(np.float32), "ct.weight")
b = numpy_helper.from_array(np.array([0.25, -0.5], dtype=np.float32), "ct.bias")
graph = helper.make_graph(
    [helper.make_node("Hardmax", ["x"], ["h"], name="hardmax", axis=1),
     helper.make_node("ConvTranspose", ["h", "ct.weight", "ct.bias"], ["y"], name="ct", strides=[2, 2],
                      pads=[1, 1, 1, 1], kernel_shape=[4, 4])],
    "app_unsupported",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 5, 5])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 10, 10])],
    [w, b])
save(helper.make_model(graph, producer_name="make_app_models", opset_imports=[helper.make_opsetid("", 13)]),
     "app_unsupported.onnx")

w1 = numpy_helper.from_array(rng.uniform(-0.5, 0.5, (2, 3, 3, 3)).astype(np.float32), "up1.weight")
w2 = numpy_helper.from_array(rng.uniform(-0.5, 0.5, (3, 1, 3, 3)).astype(np.float32), "up2.weight")
graph = helper.make_graph(
    [helper.make_node("ConvTranspose", ["x", "up1.weight"], ["t"], name="up1", strides=[2, 2], pads=[1, 1, 0, 0]),
     helper.make_node("Relu", ["t"], ["r"], name="relu"),
     helper.make_node("ConvTranspose", ["r", "up2.weight"], ["y"], name="up2", strides=[2, 2], pads=[0, 1, 1, 0])],
    "app_asymmetric",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 5])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 20, 20])],
    [w1, w2])
save(helper.make_model(graph, producer_name="make_app_models", opset_imports=[helper.make_opsetid("", 13)]),
     "app_asymmetric.onnx")
