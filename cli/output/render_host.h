// Table output for the host: the `xenia host` key: value list.
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "xenia/v1/host.pb.h"

namespace xenia::cli {

std::string RenderHostInfo(const xenia::v1::Host& host);

}  // namespace xenia::cli
