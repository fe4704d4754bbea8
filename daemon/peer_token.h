// The secret the xeniad daemons of one fleet share for migrations: read from
// the file config.peer_token_file names, which must be private to its owner
// (mode 0600 or stricter, as ssh insists for keys).
//
// Thread-safe: a pure function of the file.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace xenia {

// The token (the file's first line, without surrounding white space).
// INVALID_ARGUMENT naming the file when it is missing, readable by others,
// or holds fewer than 16 characters.
absl::StatusOr<std::string> ReadPeerToken(const std::string& path);

}  // namespace xenia
