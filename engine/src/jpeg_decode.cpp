#include "jpeg_decode.h"

#include <convt/error.h>

#include <csetjmp>
#include <cstdio>
#include <vector>

#include <jpeglib.h>
#include <jerror.h>  // JWRN_JPEG_EOF

namespace convt {
namespace {

// libjpeg reports a fatal error through error_exit, which must not return: it jumps back to read_header or
// read_pixels, whose caller throws. Warnings are kept quiet; a premature end of data is refused afterwards, as PIL does.
struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
};

[[noreturn]] void jump_on_error(j_common_ptr info) {
  auto* manager = reinterpret_cast<ErrorManager*>(info->err);
  manager->base.format_message(info, manager->message);
  std::longjmp(manager->jump, 1);
}

void keep_quiet(j_common_ptr, int) {}

// The libjpeg calls live in these two functions, whose frames hold nothing with a destructor, so a jump back to
// their setjmp skips none. Each returns false (with error.message set) when libjpeg failed.
bool read_header(jpeg_decompress_struct& info, ErrorManager& error, const unsigned char* data, size_t size) {
  if (setjmp(error.jump)) return false;
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, data, static_cast<unsigned long>(size));
  jpeg_read_header(&info, TRUE);
  return true;
}

bool read_pixels(jpeg_decompress_struct& info, ErrorManager& error, unsigned char* pixels, size_t row_bytes) {
  if (setjmp(error.jump)) return false;
  jpeg_start_decompress(&info);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = pixels + static_cast<size_t>(info.output_scanline) * row_bytes;
    jpeg_read_scanlines(&info, &row, 1);
  }
  // libjpeg pads a truncated file with grey and only warns; a half-grey photo must not train silently.
  if (error.base.num_warnings > 0 && error.base.msg_code == JWRN_JPEG_EOF) {
    std::snprintf(error.message, sizeof error.message, "the file is truncated");
    return false;
  }
  jpeg_finish_decompress(&info);
  return true;
}

// Destroys the decompressor whatever happens after it was created.
struct DecompressGuard {
  jpeg_decompress_struct* info;
  ~DecompressGuard() { jpeg_destroy_decompress(info); }
};

}  // namespace

bool looks_like_jpeg(std::string_view bytes) {
  return bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
         static_cast<unsigned char>(bytes[1]) == 0xD8 && static_cast<unsigned char>(bytes[2]) == 0xFF;
}

Tensor decode_jpeg(std::string_view bytes, const std::string& name) {
  jpeg_decompress_struct info{};
  ErrorManager error;
  info.err = jpeg_std_error(&error.base);
  error.base.error_exit = jump_on_error;
  error.base.emit_message = keep_quiet;
  const DecompressGuard guard{&info};  // jpeg_destroy_decompress is safe on a zeroed or half-made struct
  auto fail = [&](const std::string& why) { throw_io("cannot load image '" + name + "': " + why); };
  if (!read_header(info, error, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size())) fail(error.message);
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) fail("a CMYK JPEG (convert it to RGB first)");
  info.out_color_space = info.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  const int64_t channels = info.out_color_space == JCS_GRAYSCALE ? 1 : 3;
  const int64_t height = info.image_height, width = info.image_width;
  check_memory_budget({1, channels, height, width}, "image '" + name + "'");
  std::vector<unsigned char> pixels(static_cast<size_t>(channels * height * width));
  if (!read_pixels(info, error, pixels.data(), static_cast<size_t>(channels * width))) fail(error.message);

  Tensor image({1, channels, height, width});
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t y = 0; y < height; ++y)
      for (int64_t x = 0; x < width; ++x)
        image.at(0, c, y, x) = pixels[static_cast<size_t>((y * width + x) * channels + c)] / 255.0f;
  return image;
}

}  // namespace convt
