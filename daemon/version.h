// The version of this build of Xenia.
#pragma once

namespace xenia {

#ifndef XENIA_VERSION
#define XENIA_VERSION "0.0.0-dev"
#endif
inline constexpr const char* kXeniaVersion = XENIA_VERSION;

}  // namespace xenia
