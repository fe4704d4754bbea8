// ByteSink and ByteSource: where a domain stream goes and where it comes
// from. Implementations: FileSink/FileSource (a save image in the image
// directory or a client's pipe) and, for migration, the daemon-to-daemon
// channel. Errors are values; a source reports its end with a read of 0.
//
// Thread-safety: one thread at a time per object.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace xenia::stream {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Takes all of `data` or fails.
  virtual absl::Status Write(absl::string_view data) = 0;
  // Pushes buffered bytes on (to the kernel, for a file).
  virtual absl::Status Flush() = 0;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `max` bytes into `buffer`; 0 means the source has ended.
  virtual absl::StatusOr<size_t> Read(char* buffer, size_t max) = 0;
};

}  // namespace xenia::stream
