#include "cli/output/render_migration.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cli/durations.h"
#include "cli/output/cells.h"
#include "cli/output/table.h"

namespace xenia::cli {
namespace {

using xenia::v1::MigrationProgress;

// `value` with `decimals` decimals, without a trailing ".0".
std::string Trimmed(double value, int decimals) {
  std::string text = absl::StrFormat("%.*f", decimals, value);
  if (absl::EndsWith(text, ".0")) text.resize(text.size() - 2);
  return text;
}

// "812 MiB sent of 1 GiB memory", or without the memory when it is unknown.
std::string SentOfMemory(const MigrationProgress& p) {
  std::string s = absl::StrCat(FormatBytes(p.bytes_sent()), " sent");
  if (p.memory_bytes() > 0) absl::StrAppend(&s, " of ", FormatBytes(p.memory_bytes()), " memory");
  return s;
}

std::string ToDestination(const MigrationProgress& p) {
  return p.destination().empty() ? "" : absl::StrCat(" to ", p.destination());
}

}  // namespace

std::string FormatShortDuration(const google::protobuf::Duration& proto) {
  const absl::Duration d = FromProtoDuration(proto);
  if (d <= absl::ZeroDuration()) return "0ms";
  const double ms = absl::ToDoubleMilliseconds(d);
  // Rounded as it will be printed, so that 999.7ms reads 1s, not 1000ms.
  if (ms < 9.95) return absl::StrCat(Trimmed(ms, 1), "ms");
  if (ms < 999.5) return absl::StrCat(Trimmed(ms, 0), "ms");
  const double seconds = absl::ToDoubleSeconds(d);
  if (seconds < 59.95) return absl::StrCat(Trimmed(seconds, 1), "s");
  return absl::FormatDuration(absl::Trunc(d + absl::Milliseconds(500), absl::Seconds(1)));
}

std::string MigrationProgressText(const MigrationProgress& p) {
  // Round 0 is the first, whole-memory round.
  const int64_t round = int64_t{p.round()} + 1;
  switch (p.phase()) {
    case MigrationProgress::PREPARING:
      return absl::StrCat("preparing the migration", ToDestination(p));
    case MigrationProgress::PRE_COPY: {
      std::string s = absl::StrCat("pre-copy round ", round, ": ", SentOfMemory(p));
      // The first round has no earlier round to measure the dirty rate by.
      if (p.dirty_bytes_per_second() > 0 || p.round() > 0) {
        absl::StrAppend(&s, ", dirtying ", FormatBytes(p.dirty_bytes_per_second()), "/s");
      }
      if (p.has_expected_downtime()) {
        absl::StrAppend(&s, ", expected downtime ", FormatShortDuration(p.expected_downtime()));
      }
      return s;
    }
    case MigrationProgress::STOP_AND_COPY:
      return absl::StrCat("stop-and-copy round ", round, " (guest paused): ", SentOfMemory(p));
    case MigrationProgress::HANDING_OVER:
      return absl::StrCat("handing over", ToDestination(p), ": ", FormatBytes(p.bytes_sent()),
                          " sent");
    default:
      return absl::StrCat("migrating", ToDestination(p), ": ", SentOfMemory(p));
  }
}

std::vector<std::pair<std::string, std::string>> MigrationResultRows(
    const xenia::v1::MigrationResult& r) {
  std::string destination = OrDash(r.destination());
  if (!r.destination_domain().empty())
    absl::StrAppend(&destination, " (", r.destination_domain(), ")");
  std::string sent = FormatBytes(r.bytes_sent());
  if (r.pages_sent() > 0) absl::StrAppend(&sent, " (", r.pages_sent(), " pages)");
  return {
      {"destination", destination},
      {"mode", r.live() ? "live" : "non-live"},
      {"total time", r.has_total_time() ? FormatShortDuration(r.total_time()) : "-"},
      {"sent", sent},
      {"rounds", absl::StrCat(r.rounds())},
      {"downtime", r.has_downtime() ? FormatShortDuration(r.downtime()) : "-"},
      {"stop reason", OrDash(r.stop_reason())},
      {"digest", OrDash(r.digest())},
  };
}

std::string RenderMigrationResult(const xenia::v1::MigrationResult& result) {
  return RenderKeyValues(MigrationResultRows(result));
}

}  // namespace xenia::cli
