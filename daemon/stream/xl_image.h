// xl's save image container ("Xen saved domain, xl format", tools/xl): a
// 48-byte header, optional data that holds the domain's libxl configuration
// as JSON, then libxl's own stream (version 2). The libxl backend writes its
// save images in it, so that `xl restore` reads what xeniad saved and xeniad
// reads what `xl save` wrote. docs/design/xl-image-format.md gives the bytes.
//
// Pure functions and a reader over a ByteSource; any thread, one per source.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/stream/byte_stream.h"

namespace xenia::stream {

// The magic is 32 bytes; the header adds byte order, mandatory flags,
// optional flags and the optional data's length (4 bytes each).
inline constexpr size_t kXlHeaderSize = 48;
// Mandatory flags (xl.h): the config is JSON; the stream is libxl's v2.
inline constexpr uint32_t kXlFlagJson = 1u << 0;
inline constexpr uint32_t kXlFlagStreamV2 = 1u << 1;
// Optional data beyond this is taken for damage (xl writes a few KiB).
inline constexpr uint32_t kXlMaxOptionalData = 16u << 20;

struct XlImageHeader {
  uint32_t mandatory_flags = 0;
  uint32_t optional_flags = 0;
  // The domain's libxl_domain_config in libxl's JSON, without the trailing
  // NUL xl stores.
  std::string config_json;
  // Bytes before libxl's stream (header and optional data).
  int64_t size = 0;
};

// The header and optional data xl writes before libxl's stream, for a
// domain whose configuration is `config_json`.
std::string EncodeXlImageHeader(absl::string_view config_json);

// Reads the header and the optional data from `source`, leaving it at the
// start of libxl's stream. `name` says what the image is in errors. The
// source's own errors are returned as they are. Otherwise:
//   INVALID_ARGUMENT: not an xl save image, another byte order, or no
//     domain configuration in it;
//   FAILED_PRECONDITION: flags this build does not know (a newer xl), a
//     version 1 stream (Xen before 4.6) or a configuration in xl.cfg text;
//   DATA_LOSS: truncated, or lengths that cannot be right.
absl::StatusOr<XlImageHeader> ReadXlImageHeader(ByteSource& source, absl::string_view name);

// The name and uuid in a libxl JSON configuration (c_info.name, c_info.uuid),
// read without libxl. INVALID_ARGUMENT naming `what` if it is not JSON or
// lacks either.
struct XlDomainIdentity {
  std::string name;
  std::string uuid;
};
absl::StatusOr<XlDomainIdentity> ReadXlDomainIdentity(absl::string_view config_json,
                                                      absl::string_view what);

}  // namespace xenia::stream
