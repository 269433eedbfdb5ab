// JPEG decoding with libjpeg-turbo (Debian's libjpeg-dev), the decoder PIL and torchvision use, with the same
// defaults (integer IDCT, fancy chroma upsampling): a photo loads to the same pixels here as in the PyTorch user's
// own script. stb_image's decoder differs from it by up to 3 levels on a few per cent of the values.
#pragma once

#include <convt/tensor.h>

#include <string>
#include <string_view>

namespace convt {

// Whether the bytes start with a JPEG's start-of-image marker.
bool looks_like_jpeg(std::string_view bytes);

// A [1, C, H, W] tensor in [0, 1]: C = 1 for a greyscale JPEG, 3 otherwise. ErrorKind::Io names the file and
// libjpeg's reason (a truncated file too); the size is checked against the memory budget before any pixel is decoded.
Tensor decode_jpeg(std::string_view bytes, const std::string& name);

}  // namespace convt
