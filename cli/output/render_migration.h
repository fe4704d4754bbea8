// Table output for migrations: the progress line `xenia migrate --wait`
// shows while a MigrateDomain operation runs, and the figures it prints
// under "web1: migrated" (also rows of `xenia ops get`).
//
// Thread-safe: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/duration.pb.h"
#include "xenia/v1/migration_report.pb.h"

namespace xenia::cli {

// What the migration is doing, for the progress display:
// "pre-copy round 3: 812 MiB sent of 1 GiB memory, dirtying 10 MiB/s,
// expected downtime 42ms". Rounds count from 1 (the proto's round 0 is
// round 1, the whole-memory round), as --max-rounds does; figures that are
// not known yet are left out.
std::string MigrationProgressText(const xenia::v1::MigrationProgress& progress);

// "destination:", "mode:", "total time:", "sent:", "rounds:", "downtime:",
// "stop reason:", "digest:", in that order.
std::vector<std::pair<std::string, std::string>> MigrationResultRows(
    const xenia::v1::MigrationResult& result);

// The rows above as aligned "key: value" lines.
std::string RenderMigrationResult(const xenia::v1::MigrationResult& result);

// A short duration as an administrator reads a downtime: "0.4ms", "42ms",
// "2.5s", "1m5s"; negative durations as "0ms".
std::string FormatShortDuration(const google::protobuf::Duration& d);

}  // namespace xenia::cli
