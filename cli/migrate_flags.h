// The arguments and flags of `xenia migrate` (HOST:PORT, --live/--no-live,
// --bandwidth, --max-rounds, --downtime) and how they map onto a
// xenia.v1.MigrateDomainRequest.
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "xenia/v1/domain_service.pb.h"

namespace xenia::cli {

// Empty strings and nullopt mean "not given" (xeniad's defaults apply).
struct MigrateFlags {
  // "HOST:PORT" of the destination xeniad.
  std::string destination;
  // Pre-copy while the guest runs; --no-live pauses it for the whole move.
  bool live = true;
  // A rate in MiB/s: "100", "100M", "100MiB", "1G", "1GiB" (optionally
  // followed by "/s").
  std::string bandwidth;
  std::optional<int> max_rounds;
  // "50ms", "1s".
  std::string downtime;
};

// OK for "HOST:PORT" with a non-empty host (an IPv6 address in brackets,
// "[::1]:7000") and a decimal port from 1 to 65535; INVALID_ARGUMENT naming
// the DESTINATION argument otherwise.
absl::Status CheckDestination(absl::string_view text);

// A rate as --bandwidth takes it, in whole MiB/s: K, M, G and T (with or
// without "iB") are powers of 1024 bytes per second, a bare number is MiB/s.
// INVALID_ARGUMENT naming --bandwidth for anything else, for 0, and for
// rates that are not a whole number of MiB/s or do not fit an int32.
absl::StatusOr<int32_t> ParseBandwidthFlag(absl::string_view text);

// Fills the destination, live and the limits of `request` from `flags`
// (name and request_id are the caller's). INVALID_ARGUMENT naming the
// argument or flag that is wrong.
absl::Status ApplyMigrateFlags(const MigrateFlags& flags, xenia::v1::MigrateDomainRequest* request);

}  // namespace xenia::cli
