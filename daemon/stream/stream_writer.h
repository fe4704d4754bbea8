// StreamWriter: writes one domain stream (a save image or a migration
// stream) to a ByteSink: the preamble and HEADER, then PAGES records (in any
// order and any number of rounds; a later copy of a page replaces an earlier
// one), then one GUEST_STATE, then END with the stream's digest. Each record
// is checksummed as it is written, and the whole-stream digest is kept as
// the bytes go, so the writer never holds more than one record.
//
// Out-of-order use (pages before the header, anything after Finish) is
// FAILED_PRECONDITION; a sink error is returned as it came and ends the
// stream.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/stream/byte_stream.h"
#include "xenia/v1/domain_stream.pb.h"

struct XXH3_state_s;

namespace xenia::stream {

// What a finished stream holds, as its END record says.
struct StreamSummary {
  // Records before END (HEADER included).
  int64_t records = 0;
  // Bytes before the END record.
  int64_t bytes = 0;
  // The whole stream's bytes (END record included).
  int64_t total_bytes = 0;
  // "xxh3-128:" and 32 hex digits: the digest of the bytes before END.
  std::string digest;
};

class StreamWriter {
 public:
  explicit StreamWriter(ByteSink& sink);
  ~StreamWriter();
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  // The preamble and the HEADER record. `header` must give page_count and a
  // page_size (a power of two, 512 to 65536).
  absl::Status WriteHeader(const xenia::v1::StreamHeader& header);
  // A PAGES record: `data` holds whole pages, first_page onwards (at most
  // 1024 of them; split larger runs). `round`: the pre-copy round (0 for a
  // save).
  absl::Status WritePages(int64_t first_page, uint32_t round, absl::string_view data);
  absl::Status WriteGuestState(const xenia::v1::StreamGuestState& state);
  // The END record, then a flush of the sink.
  absl::StatusOr<StreamSummary> Finish();

  int64_t bytes_written() const { return offset_; }

 private:
  enum class Phase { kStart, kPages, kStated, kFinished, kBroken };

  // One record: head, payload in two pieces (either may be empty),
  // checksum.
  absl::Status WriteRecord(uint32_t type, absl::string_view prefix, absl::string_view body);
  absl::Status Emit(absl::string_view bytes);

  ByteSink& sink_;
  Phase phase_ = Phase::kStart;
  int64_t page_count_ = 0;
  uint32_t page_size_ = 0;
  int64_t offset_ = 0;
  int64_t records_ = 0;
  XXH3_state_s* digest_;
  XXH3_state_s* record_sum_;
};

}  // namespace xenia::stream
