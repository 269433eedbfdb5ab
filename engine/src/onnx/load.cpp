// Placeholder while this file is written (issue #14).
#include <convt/onnx.h>
