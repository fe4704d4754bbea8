// Table output for a save image: the lines `xenia save --wait` prints under
// "web1: saved".
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "xenia/v1/save_image.pb.h"

namespace xenia::cli {

// "image:", "path:", "size:" (in KiB/MiB/GiB), "digest:", one per line.
std::string RenderSaveImage(const xenia::v1::SaveImage& image);

}  // namespace xenia::cli
