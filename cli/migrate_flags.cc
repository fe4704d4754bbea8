#include "cli/migrate_flags.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/durations.h"
#include "common/sizes.h"

namespace xenia::cli {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

absl::Status BadDestination(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("DESTINATION: \"", text, "\": ", why));
}

absl::Status BadRate(absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("--bandwidth: invalid rate \"", text,
                   "\": use MiB per second, e.g. 100, 100M, 100MiB, 1G or 1GiB"));
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

}  // namespace

absl::Status CheckDestination(absl::string_view text) {
  absl::string_view host;
  absl::string_view port;
  if (absl::StartsWith(text, "[")) {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos)
      return BadDestination(text, "no ] after the IPv6 address; expected [ADDRESS]:PORT");
    host = text.substr(1, close - 1);
    absl::string_view rest = text.substr(close + 1);
    if (!absl::ConsumePrefix(&rest, ":")) {
      return BadDestination(text, "expected HOST:PORT, e.g. [::1]:7000");
    }
    port = rest;
  } else {
    const size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) {
      return BadDestination(text, "no port; expected HOST:PORT, e.g. host2:7000");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (absl::StrContains(host, ':')) {
      return BadDestination(text, "write an IPv6 address in brackets, e.g. [::1]:7000");
    }
  }
  if (host.empty())
    return BadDestination(text, "the host is empty; expected HOST:PORT, e.g. host2:7000");
  for (char c : host) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == '/' || c == '[' || c == ']') {
      return BadDestination(text, absl::StrCat("the host \"", host, "\" is not a host name"));
    }
  }
  int value = 0;
  if (!AllDigits(port) || port.size() > 5 || !absl::SimpleAtoi(port, &value) || value < 1 ||
      value > 65535) {
    return BadDestination(text, "the port must be a number from 1 to 65535");
  }
  return absl::OkStatus();
}

absl::StatusOr<int32_t> ParseBandwidthFlag(absl::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  // "100MiB/s" is the rate as people write it.
  if (t.size() > 2 && absl::EndsWithIgnoreCase(t, "/s")) t.remove_suffix(2);
  if (t.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(t.front()))) {
    return BadRate(text);
  }
  absl::StatusOr<int64_t> bytes = ParseSizeBytes(t, kMiB);
  if (!bytes.ok()) {
    if (absl::StrContains(bytes.status().message(), "too large")) {
      return absl::InvalidArgumentError(absl::StrCat("--bandwidth: \"", text, "\" is too large"));
    }
    return BadRate(text);
  }
  if (*bytes == 0) {
    return absl::InvalidArgumentError(
        "--bandwidth: must be more than 0 (leave --bandwidth out for no limit)");
  }
  if (*bytes % kMiB != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--bandwidth: \"", text, "\" is not a whole number of MiB/s"));
  }
  const int64_t mib = *bytes / kMiB;
  if (mib > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("--bandwidth: \"", text, "\" is too large"));
  }
  return static_cast<int32_t>(mib);
}

absl::Status ApplyMigrateFlags(const MigrateFlags& flags,
                               xenia::v1::MigrateDomainRequest* request) {
  if (absl::Status s = CheckDestination(flags.destination); !s.ok()) return s;
  request->set_destination(flags.destination);
  request->set_live(flags.live);
  if (!flags.bandwidth.empty()) {
    absl::StatusOr<int32_t> mib = ParseBandwidthFlag(flags.bandwidth);
    if (!mib.ok()) return mib.status();
    request->set_max_bandwidth_mib_per_second(*mib);
  }
  if (flags.max_rounds.has_value()) {
    if (*flags.max_rounds < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("--max-rounds: must be at least 1, got ", *flags.max_rounds));
    }
    request->set_max_rounds(*flags.max_rounds);
  }
  if (!flags.downtime.empty()) {
    absl::StatusOr<absl::Duration> d = ParseDurationFlag(flags.downtime);
    if (!d.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--downtime: ", d.status().message()));
    }
    if (*d == absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--downtime: must be more than 0");
    }
    *request->mutable_max_downtime() = ToProtoDuration(*d);
  }
  return absl::OkStatus();
}

}  // namespace xenia::cli
