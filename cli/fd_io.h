// Whole reads and writes on raw file descriptors, for the binary images that
// `xenia save NAME -` writes to stdout and `xenia restore -` reads from stdin:
// short transfers and EINTR are retried, and failures come back as
// absl::Status carrying the system's reason. A reader that has gone away is
// an EPIPE error, not a SIGPIPE that kills the process.
//
// Thread-safe: no shared state; SIGPIPE is blocked only in the calling thread
// and only while it writes.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace xenia::cli {

// Writes all of `data` to `fd`. Fails with RESOURCE_EXHAUSTED when the disk
// or quota is full, DATA_LOSS otherwise (a closed pipe, an I/O error); the
// message is the system's ("Broken pipe").
absl::Status WriteAll(int fd, absl::string_view data);

// Reads into `buf` until it holds `size` bytes or the end of the file, and
// returns how many it holds: fewer than `size` only at the end. Fails with
// DATA_LOSS and the system's message.
absl::StatusOr<size_t> ReadFull(int fd, char* buf, size_t size);

}  // namespace xenia::cli
